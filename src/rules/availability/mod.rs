//! Availability: single points of failure from the AND/OR model, and the load
//! balancer rules. All of them read the one analysis in [`Context`].

pub(crate) mod fixes;
mod lb;
mod spof001;
mod spof002;
mod spof003;
#[cfg(test)]
mod tests;

pub use lb::{LB001, LB002, LB003, LB004};
pub use spof001::SPOF001;
pub use spof002::SPOF002;
pub use spof003::SPOF003;

use crate::analysis::{Analysed, Outage};
use crate::model::LinkOrigin;
use fixes::*;

/// `a`, `b` and `c`, each in backticks, cut as [`crate::finding::listed`] cuts.
pub(super) fn names(list: &[String]) -> String {
    crate::finding::listed_of(list.iter().map(|n| format!("`{n}`")), list.len())
}

/// "users can no longer be served" and the chain from the first entrypoint, with the
/// label on the link or target that makes the last step a dependency.
pub(super) struct Impact {
    pub sentence: String,
    pub chain: String,
    pub last_link: Option<(crate::source::Span, String)>,
    /// "; it takes `s1`, 1 of the 2 voters of the quorum of `db` (needs 2)", for each
    /// quorum the failure breaks.
    pub voters: String,
}

pub(super) fn impact(cx: &Analysed, outage: &Outage) -> Impact {
    let model = cx.model;
    let entry_names: Vec<String> = outage
        .entrypoints
        .iter()
        .map(|e| model.component(*e).id.value.clone())
        .collect();
    let sentence = format!("{} can no longer be served", names(&entry_names));
    let path = cx
        .availability
        .chain(model, outage.event, outage.entrypoints[0]);
    let chain = path
        .iter()
        .map(|(c, _)| model.component(*c).id.value.as_str())
        .collect::<Vec<_>>()
        .join(" -> ");
    let last_link = path.last().and_then(|(c, link)| {
        let link = model.link((*link)?);
        let text = match link.origin {
            LinkOrigin::Target { lb } => format!("a target of `{}`", model.component(lb).id.value),
            LinkOrigin::Declared => format!(
                "`{}` depends on `{}` through this link",
                model.component(link.from).id.value,
                model.component(*c).id.value
            ),
        };
        Some((link.span, text))
    });
    let av = &cx.availability;
    let mut voters = String::new();
    for &q in av.quorums_broken_by(outage.event) {
        let owner = model.component(q);
        let quorum = owner.quorum.as_ref().expect("listed for its quorum");
        let taken: Vec<String> = quorum
            .voters
            .iter()
            .filter(|v| av.stops(outage.event, **v))
            .map(|v| model.component(*v).id.value.clone())
            .collect();
        voters.push_str(&format!(
            "; it takes {}, {} of the {} voters of the quorum of `{}` (needs {})",
            names(&taken),
            taken.len(),
            quorum.voters.len(),
            owner.id.value,
            quorum.needs
        ));
    }
    Impact {
        sentence,
        chain,
        last_link,
        voters,
    }
}
