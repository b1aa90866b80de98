//! Provider advice in reports: the rule each problem group matched, and the problems summed
//! per provider or blocklist ("Microsoft: 412 deferrals, 4.7.500 throttling; do this").
//!
//! A report keeps only the rule's id and the direction for `merge`; every text shown comes
//! from the embedded rules, never from a loaded report.

use super::ProblemRow;
use crate::providers::{rules, Direction, Hit, Kind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The provider rule a problem group matched, with its advice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderAdvice {
    /// The rule's id (`gmail-rate-limit`).
    pub rule: String,
    /// `received` (a remote server's reply to us) or `sent` (our reply to a client).
    pub direction: Direction,
    /// The provider or blocklist.
    pub provider: String,
    /// mailbox, blocklist or gateway.
    pub kind: Kind,
    /// What it means.
    pub meaning: String,
    /// What to do, for this direction.
    pub action: String,
    /// The provider's postmaster, lookup or delisting page.
    pub url: String,
}

/// The advice of a matched rule.
pub fn advice(hit: Hit) -> ProviderAdvice {
    let rule = rules().get(hit.rule);
    ProviderAdvice {
        rule: rule.id.clone(),
        direction: hit.direction,
        provider: rule.provider.clone(),
        kind: rule.kind,
        meaning: rule.meaning.clone(),
        action: rule.action_for(hit.direction).to_string(),
        url: rule.url.clone(),
    }
}

/// Why the provider rule a saved report names cannot be taken back.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HitError {
    /// No embedded rule has this id (a report of another smtplog, or edited).
    #[error("unknown provider rule {0:?}")]
    UnknownRule(String),
    /// The rule exists, but not for replies said in this direction.
    #[error("provider rule {rule:?} does not apply to {} replies", direction.name())]
    WrongDirection {
        /// The rule's id.
        rule: String,
        /// The direction the report gives.
        direction: Direction,
    },
}

/// The match a saved report names, for `merge`.
pub fn hit_of(advice: &ProviderAdvice) -> Result<Hit, HitError> {
    let rule = rules()
        .find(&advice.rule)
        .ok_or_else(|| HitError::UnknownRule(advice.rule.clone()))?;
    if !rules().get(rule).applies_to(advice.direction) {
        return Err(HitError::WrongDirection {
            rule: advice.rule.clone(),
            direction: advice.direction,
        });
    }
    Ok(Hit {
        rule,
        direction: advice.direction,
    })
}

/// One rule's share of a provider's problems.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderRuleRow {
    /// The rule's id.
    pub rule: String,
    /// Who said the replies.
    pub direction: Direction,
    /// Problem lines.
    pub count: u64,
    /// The enhanced (or basic) codes of those lines, most frequent first.
    pub codes: Vec<String>,
    /// What it means.
    pub meaning: String,
    /// What to do.
    pub action: String,
    /// Where to look it up or ask for delisting.
    pub url: String,
}

/// Problems summed per provider or blocklist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderRow {
    /// The provider or blocklist.
    pub provider: String,
    /// mailbox, blocklist or gateway.
    pub kind: Kind,
    /// Problem lines.
    pub count: u64,
    /// Lines by event (`deferred`, `bounced`, `rejected`, ...; `reply` for none).
    pub events: BTreeMap<String, u64>,
    /// The rules, most frequent first.
    pub rules: Vec<ProviderRuleRow>,
}

/// Sum the problem rows per provider, busiest first (ties by name, so the order is stable).
pub fn by_provider(problems: &[ProblemRow]) -> Vec<ProviderRow> {
    type RuleSums = (u64, BTreeMap<String, u64>);
    type ProviderSums<'a> = (
        Kind,
        BTreeMap<String, u64>,
        BTreeMap<(&'a str, Direction), RuleSums>,
    );
    let mut providers: BTreeMap<&str, ProviderSums<'_>> = BTreeMap::new();
    for p in problems {
        let Some(a) = &p.provider else { continue };
        let (_, events, by_rule) = providers
            .entry(&a.provider)
            .or_insert_with(|| (a.kind, BTreeMap::new(), BTreeMap::new()));
        let event = p.event.map_or("reply", |e| e.name());
        *events.entry(event.to_string()).or_insert(0) += p.count;
        let (count, codes) = by_rule.entry((&a.rule, a.direction)).or_default();
        *count += p.count;
        let code = p
            .enhanced
            .clone()
            .or_else(|| p.code.map(|c| c.to_string()))
            .unwrap_or_else(|| "none".to_string());
        *codes.entry(code).or_insert(0) += p.count;
    }
    let mut rows: Vec<ProviderRow> = providers
        .into_iter()
        .map(|(provider, (kind, events, by_rule))| {
            let mut rule_rows: Vec<ProviderRuleRow> = by_rule
                .into_iter()
                .filter_map(|((rule, direction), (count, codes))| {
                    let id = rules().find(rule)?;
                    let r = rules().get(id);
                    let mut codes: Vec<(String, u64)> = codes.into_iter().collect();
                    codes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                    Some(ProviderRuleRow {
                        rule: rule.to_string(),
                        direction,
                        count,
                        codes: codes.into_iter().map(|(c, _)| c).collect(),
                        meaning: r.meaning.clone(),
                        action: r.action_for(direction).to_string(),
                        url: r.url.clone(),
                    })
                })
                .collect();
            rule_rows.sort_by(|a, b| {
                b.count
                    .cmp(&a.count)
                    .then_with(|| (&a.rule, a.direction).cmp(&(&b.rule, b.direction)))
            });
            ProviderRow {
                provider: provider.to_string(),
                kind,
                count: rule_rows.iter().map(|r| r.count).sum(),
                events,
                rules: rule_rows,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.provider.cmp(&b.provider))
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Advice naming a rule, as a loaded report may (only the id and direction count).
    fn named(rule: &str, direction: Direction) -> ProviderAdvice {
        ProviderAdvice {
            rule: rule.to_string(),
            direction,
            provider: String::new(),
            kind: rules().all()[0].kind,
            meaning: String::new(),
            action: String::new(),
            url: String::new(),
        }
    }

    #[test]
    fn a_rule_that_cannot_be_taken_back_says_why() {
        let err = hit_of(&named("no-such-rule", Direction::Received)).unwrap_err();
        assert_eq!(err, HitError::UnknownRule("no-such-rule".to_string()));
        assert_eq!(err.to_string(), "unknown provider rule \"no-such-rule\"");
        let mailbox = rules()
            .iter()
            .find(|(_, r)| !r.applies_to(Direction::Sent))
            .expect("a rule for received replies only")
            .1;
        let err = hit_of(&named(&mailbox.id, Direction::Sent)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "provider rule {:?} does not apply to sent replies",
                mailbox.id
            )
        );
    }
}
