//! References by id: registering definitions, resolving references, suggesting
//! the closest id.

use super::*;
use crate::yaml::Text;

pub(super) fn is_valid_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

impl Validator {
    /// Registers an id in the shared namespace; reports bad shapes and duplicates.
    pub(super) fn register(&mut self, id: &Spanned<Text>, r: Ref) -> bool {
        if !is_valid_id(&id.value) {
            self.error(
                Finding::new(&IL006, id.span, format!("invalid id `{}`", crate::finding::shorten(&id.value).escape_debug()))
                    .label("not a valid id")
                    .help(
                        "an id is 1 to 63 letters, digits, `-`, `_` or `.`, starting with a letter or digit",
                    ),
            );
        }
        if let Some(first) = self.ids.get(id.value.as_str()).map(|e| e.span) {
            let mut f = Finding::new(&IL004, id.span, format!("duplicate id `{}`", id.value))
                .label("defined again here")
                .help("components, hosts, zones and certificates share one namespace: rename one of them");
            if first.is_empty() && id.value == INTERNET {
                f.message = "`internet` is the built-in public zone".into();
            } else {
                f = f.related(first, "first defined here");
            }
            self.error(f);
            return false;
        }
        self.ids_mut().insert(
            compact_str::CompactString::from(id.value.as_str()),
            IdEntry {
                to: Some(r),
                span: id.span,
            },
        );
        true
    }

    /// A validator for part of the work on another thread: the same ids, its own
    /// errors and `suggestions` suggestions.
    pub(super) fn fork(&self, suggestions: usize) -> Validator {
        Validator {
            ids: Arc::clone(&self.ids),
            errors: Vec::new(),
            suggestions_left: suggestions,
            threads: 1,
        }
    }

    /// Marks a registered id whose definition failed to parse.
    pub(super) fn failed(&mut self, id: &str) {
        if let Some(entry) = self.ids_mut().get_mut(id) {
            entry.to = None;
        }
    }

    pub(super) fn suggest(&mut self, word: &str, wanted: Wanted) -> Option<String> {
        if self.suggestions_left == 0 {
            return None;
        }
        self.suggestions_left -= 1;
        let candidates = self
            .ids
            .iter()
            .filter(|(_, e)| e.to.is_some_and(|r| wanted.accepts(r)))
            .map(|(k, _)| k.as_str());
        spelling::closest(word, candidates).map(str::to_owned)
    }

    /// The id table while it is being filled (before the link thread shares it).
    pub(super) fn ids_mut(&mut self) -> &mut IdTable {
        Arc::make_mut(&mut self.ids)
    }

    /// Resolves a reference, reporting IL003 when it names nothing of the wanted kind.
    pub(super) fn resolve(
        &mut self,
        id: &Spanned<Text>,
        wanted: Wanted,
        context: &str,
    ) -> Option<Ref> {
        let entry = self.ids.get(id.value.as_str()).copied();
        self.judge(id, entry, wanted, context)
    }

    /// [`Validator::resolve`] with the lookup done: `entry` is what the table holds for
    /// `id`.
    pub(super) fn judge(
        &mut self,
        id: &Spanned<Text>,
        entry: Option<IdEntry>,
        wanted: Wanted,
        context: &str,
    ) -> Option<Ref> {
        let found = match entry {
            // Its definition failed to parse, which is reported already.
            Some(IdEntry { to: None, .. }) => return None,
            Some(IdEntry { to: Some(r), .. }) => Some(r),
            None => None,
        };
        match found {
            Some(r) if wanted.accepts(r) => Some(r),
            found => {
                let message = match found {
                    Some(r) => format!(
                        "{context} `{}` is a {}, not a {}",
                        id.value,
                        r.noun(),
                        wanted.noun
                    ),
                    None => format!(
                        "{context} `{}` does not exist",
                        crate::finding::shorten(&id.value)
                    ),
                };
                let mut f = Finding::new(&IL003, id.span, message).label(format!(
                    "no {} named `{}`",
                    wanted.noun,
                    crate::finding::shorten(&id.value)
                ));
                f.help = Some(
                    match self.suggest(&id.value, wanted) {
                        Some(best) => format!("did you mean `{best}`?"),
                        None => format!(
                            "define a {} with this id, or correct the reference",
                            wanted.noun
                        ),
                    }
                    .into(),
                );
                self.error(f);
                None
            }
        }
    }

    pub(super) fn component_ref(
        &mut self,
        id: &Spanned<Text>,
        context: &str,
    ) -> Option<ComponentId> {
        let entry = self.ids.get(id.value.as_str()).copied();
        self.component_found(id, entry, context)
    }

    pub(super) fn component_found(
        &mut self,
        id: &Spanned<Text>,
        entry: Option<IdEntry>,
        context: &str,
    ) -> Option<ComponentId> {
        match self.judge(id, entry, COMPONENT, context)? {
            Ref::Component(c) => Some(c),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_valid_id;

    #[test]
    fn ids() {
        assert!(is_valid_id("web-1"));
        assert!(is_valid_id("db.primary_2"));
        assert!(!is_valid_id("web 1"));
        assert!(!is_valid_id("-web"));
        assert!(!is_valid_id("web\"1"));
        assert!(!is_valid_id(&"a".repeat(64)));
        assert!(!is_valid_id(""));
    }
}
