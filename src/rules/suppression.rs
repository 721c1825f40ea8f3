//! Findings about suppressions themselves: the suppress stage reports these, so every
//! accepted finding keeps an audit trail. They cannot be suppressed.

declare_rule!(
    SUP001,
    "suppression-without-reason",
    Suppression,
    Warning,
    none
);
declare_rule!(
    SUP002,
    "unknown-rule-suppressed",
    Suppression,
    Warning,
    none
);
declare_rule!(SUP003, "expired-suppression", Suppression, Warning, none);
declare_rule!(SUP004, "unused-suppression", Suppression, Warning, none);
