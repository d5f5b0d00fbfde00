//! Coping strategies for a customer emotion when the tenant's packs have no `emotion` rule
//! for it: short, plain advice in the customer's language.

/// Default advice for `label` ("angry", "frustrated", ...).
pub fn default_strategy(label: &str, chinese: bool) -> &'static str {
    match (label, chinese) {
        ("angry", false) => {
            "Stay calm, do not argue: apologise for the impact, take ownership and agree on a concrete next step."
        }
        ("angry", true) => {
            "保持冷静，不要争辩：先为造成的影响道歉，主动承担跟进，并约定具体的下一步。"
        }
        ("frustrated", false) => {
            "Acknowledge the problem in the customer's words and stop pitching until it is understood."
        }
        ("frustrated", true) => "用客户自己的话复述问题，先理解清楚再继续介绍产品。",
        ("anxious", false) => {
            "Slow down and give facts: what happens, who is responsible, and the safety net if it goes wrong."
        }
        ("anxious", true) => "放慢节奏，讲事实：会发生什么、谁负责、出问题时的保障措施。",
        ("confused", false) => {
            "Pause and check understanding: explain again in one simple sentence and ask what is unclear."
        }
        ("confused", true) => "停一下确认理解：用一句简单的话重新解释，并询问哪里不清楚。",
        (_, false) => "Listen, acknowledge, and ask an open question before continuing.",
        (_, true) => "先倾听并回应客户的感受，再用开放式问题继续沟通。",
    }
}
