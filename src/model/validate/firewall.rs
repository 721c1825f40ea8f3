//! Firewall rules and monitoring agents, as hosts and components write them.

use super::*;
use crate::yaml::Text;

impl Validator {
    pub(super) fn cidr(&mut self, text: &Spanned<Text>) -> Option<Cidr> {
        let cidr = Cidr::parse(&text.value);
        if cidr.is_none() {
            self.error(
                Finding::new(
                    &IL006,
                    text.span,
                    format!("invalid CIDR `{}`", crate::finding::shorten(&text.value)),
                )
                .label("not an address range")
                .help("write an address and a prefix length, e.g. 10.0.1.0/24"),
            );
        }
        cidr
    }

    pub(super) fn firewall(&mut self, fw: &Firewall, span: Span) -> FirewallDef {
        let allow = fw
            .allow
            .iter()
            .filter_map(|rule| self.allow_rule(&rule.value.port, &rule.value.from, rule.span))
            .collect();
        FirewallDef {
            default_allow: fw
                .default_inbound
                .as_ref()
                .is_some_and(|d| d.value == Inbound::Allow),
            allow,
            span,
        }
    }

    pub(super) fn allow_rule(
        &mut self,
        port: &Spanned<PortValue>,
        from: &Spanned<Text>,
        span: Span,
    ) -> Option<AllowDef> {
        let spec = match &port.value {
            PortValue::Number(n) => u16::try_from(*n)
                .ok()
                .filter(|p| *p != 0)
                .map(|p| PortSpec::Range(p, p)),
            PortValue::Text(t) => PortSpec::parse(t),
        };
        if spec.is_none() {
            let shown = match &port.value {
                PortValue::Number(n) => n.to_string(),
                PortValue::Text(t) => format!("\"{t}\""),
            };
            self.error(
                Finding::new(&IL006, port.span, format!("invalid port {shown}"))
                    .label("not a port")
                    .help("write a port from 1 to 65535, a range \"8000-8100\", or `any`"),
            );
        }
        let source = if from.value == "any" {
            Some(Source::Any)
        } else if from.value.contains('/') || from.value.parse::<std::net::IpAddr>().is_ok() {
            self.cidr(from).map(Source::Cidr)
        } else {
            match self.resolve(from, ANY_PLACE, "firewall source") {
                Some(Ref::Zone(z)) => Some(Source::Zone(z)),
                Some(Ref::Host(h)) => Some(Source::Host(h)),
                Some(Ref::Component(c)) => Some(Source::Component(c)),
                _ => None,
            }
        };
        Some(AllowDef {
            port: spec?,
            from: source?,
            span,
        })
    }

    pub(super) fn port(&mut self, port: &Spanned<i64>, what: &str) -> Option<u16> {
        match u16::try_from(port.value) {
            Ok(p) if p != 0 => Some(p),
            _ => {
                self.error(
                    Finding::new(
                        &IL006,
                        port.span,
                        format!("{what} {} is out of range", port.value),
                    )
                    .label("not in 1..65535")
                    .help("a port is an integer from 1 to 65535"),
                );
                None
            }
        }
    }

    pub(super) fn agent(&mut self, m: &Monitoring, span: Span) -> AgentDef {
        let reports_to = m
            .reports_to
            .as_ref()
            .and_then(|r| self.component_ref(r, "monitoring target"));
        AgentDef {
            agent: m.agent.value.to_string(),
            reports_to,
            span,
        }
    }

    pub(super) fn check_reports_to(&mut self, agent: &AgentDef, components: &[ComponentDef]) {
        if let Some(target) = agent.reports_to {
            let c = &components[target.index()];
            if c.kind.value != Kind::Monitoring {
                self.error(
                    Finding::new(
                        &IL006,
                        agent.span,
                        format!(
                            "the agent reports to `{}`, a {}, not a monitoring component",
                            c.id.value,
                            c.kind.value.as_str()
                        ),
                    )
                    .label("`reports_to` must name a component of kind monitoring"),
                );
            }
        }
    }
}
