//! Prompts for the local LLM and the reading of its answers: a grounded one-to-two sentence
//! suggestion citing retrieved passages as [1], [2]; and the post-call summary with action
//! items, in the call's language. The system prompt plus the tenant's standing context form
//! the request's `prefix`, so the model's KV cache for it is reused across suggestions.

use callassist_inference::InferenceError;
use callassist_inference::llm::{ChatMessage, GenRequest, LlmPool, SamplingParams};
use callassist_knowledge::{RuleKind, SearchHit};

use super::tenant::TenantRules;

/// Longest passage text put in a prompt (characters).
const PASSAGE_CHARS: usize = 400;
/// Longest transcript put in a summary prompt (characters, most recent kept).
const TRANSCRIPT_CHARS: usize = 6000;

/// What set off a generated suggestion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// A rule (objection, competitor) fired.
    Rule,
    /// The customer asked a question.
    Question,
    /// The agent said they do not know.
    KnowledgeGap,
}

/// Builds LLM requests for a call's suggestions and summary.
#[derive(Clone, Debug)]
pub struct Composer {
    pub pool: LlmPool,
    /// Token budget of a suggestion.
    pub suggestion_tokens: usize,
    /// Token budget of a summary.
    pub summary_tokens: usize,
}

fn standing_context(rules: &TenantRules, zh: bool) -> String {
    let never: Vec<&str> = rules
        .of_kind(RuleKind::Forbidden)
        .map(|i| rules.rules[i].rule.message.as_str())
        .filter(|m| !m.is_empty())
        .collect();
    let mut s = if zh {
        "你在实时通话中协助销售/客服人员。只根据给出的资料，用一到两句话写出坐席下一句可以对客户说的话，\
         用 [1]、[2] 标注所依据的资料。不要编造价格、折扣或承诺。用中文回答。"
            .to_string()
    } else {
        "You help a sales or support agent during a live call. Using only the passages given, \
         write one or two sentences the agent can say to the customer next, citing the passages \
         you use as [1] or [2]. Never invent prices, discounts or promises."
            .to_string()
    };
    if !never.is_empty() {
        s.push_str(if zh {
            "\n必须遵守："
        } else {
            "\nRules you must follow: "
        });
        s.push_str(&never.join(" "));
    }
    s.push_str(if zh {
        "\n示例：\n资料：\n[1] 试点为期30天，使用客户自己的数据。\n客户刚刚说：\"太贵了。\"\n坐席：理解，我们可以先做30天试点，用您自己的数据看效果再决定[1]。"
    } else {
        "\nExample:\nPassages:\n[1] Pilots run for 30 days on the customer's own data.\nThe customer just said: \"It's too expensive.\"\nAgent: I understand. We could start with a 30-day pilot on your own data, so you see the value before you commit [1]."
    });
    s
}

/// Splits a rendered chat into the cacheable system part and the rest.
fn request(
    pool: &LlmPool,
    system: String,
    user: String,
    max_tokens: usize,
) -> Result<GenRequest, InferenceError> {
    let prefix = pool.chat_prompt(&[ChatMessage::system(system.clone())], false)?;
    let full = pool.chat_prompt(
        &[ChatMessage::system(system), ChatMessage::user(user)],
        true,
    )?;
    let (prefix, prompt) = match full.strip_prefix(&prefix) {
        Some(rest) => (prefix, rest.to_string()),
        None => (String::new(), full),
    };
    Ok(GenRequest {
        prefix,
        prompt,
        max_tokens,
        sampling: SamplingParams {
            temperature: 0.0,
            repetition_penalty: 1.15,
            ..Default::default()
        },
        stop: vec!["\n\n".into(), "<|im_end|>".into()],
        ..Default::default()
    })
}

fn clip(text: &str, max: usize) -> String {
    let t: String = text.chars().take(max).collect();
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Composer {
    /// The request for a suggestion answering `said` (the customer's words) from `passages`.
    pub fn suggestion(
        &self,
        rules: &TenantRules,
        said: &str,
        trigger: Trigger,
        passages: &[SearchHit],
        zh: bool,
    ) -> Result<GenRequest, InferenceError> {
        let mut user = String::new();
        user.push_str(if zh { "资料：\n" } else { "Passages:\n" });
        for (n, p) in passages.iter().enumerate() {
            user.push_str(&format!("[{}] {}\n", n + 1, clip(&p.text, PASSAGE_CHARS)));
        }
        let what = match (trigger, zh) {
            (Trigger::Question, true) => "客户刚刚问",
            (Trigger::Question, false) => "The customer just asked",
            (_, true) => "客户刚刚说",
            (_, false) => "The customer just said",
        };
        user.push_str(&format!("{what}: \"{}\"\n", clip(said, 500)));
        user.push_str(if zh { "坐席：" } else { "Agent:" });
        let mut req = request(
            &self.pool,
            standing_context(rules, zh),
            user,
            self.suggestion_tokens,
        )?;
        req.stop.push(if zh { "客户" } else { "Customer:" }.into());
        Ok(req)
    }

    /// The request for the post-call summary of `transcript` (`(speaker, text)` in order).
    pub fn summary(
        &self,
        transcript: &[(String, String)],
        final_stage: &str,
        zh: bool,
    ) -> Result<GenRequest, InferenceError> {
        let mut lines: Vec<String> = Vec::new();
        let mut used = 0;
        for (who, text) in transcript.iter().rev() {
            used += text.chars().count() + who.len() + 2;
            if used > TRANSCRIPT_CHARS {
                break;
            }
            lines.push(format!("{who}: {text}"));
        }
        lines.reverse();
        let (system, user) = if zh {
            (
                "你为销售团队写通话纪要。只写通话里确实说过的内容。".to_string(),
                format!(
                    "通话记录：\n{}\n最终阶段：{final_stage}\n用中文写：先写“摘要：”加两三句话，然后写“待办：”，每条待办一行，以“- ”开头。",
                    lines.join("\n")
                ),
            )
        } else {
            (
                "You write call notes for a sales team. Only state what was actually said."
                    .to_string(),
                format!(
                    "Transcript:\n{}\nFinal deal stage: {final_stage}\nWrite \"Summary:\" and two or three sentences, then \"Action items:\" with one item per line starting with \"- \".",
                    lines.join("\n")
                ),
            )
        };
        let mut req = request(&self.pool, system, user, self.summary_tokens)?;
        req.stop.retain(|s| s != "\n\n");
        Ok(req)
    }
}

/// Tidies a generated suggestion: drops label lines ("The agent could say:") and quotes,
/// keeps at most two sentences, and cuts a reply truncated by the token budget back to its
/// last full sentence.
pub fn tidy_suggestion(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.ends_with(':') && !l.ends_with('：'))
        .collect();
    let joined = lines.join(" ").replace("**", "");
    let mut t = joined.trim();
    // Leading list or citation debris before a quoted reply: `[1] - Budget — "Understood...`.
    if let Some(q) = t.find(['"', '“'])
        && q <= 40
        && !t[..q].contains(['.', '。', '!', '?'])
    {
        t = &t[q..];
    }
    loop {
        let before = t.len();
        t = t.trim_start_matches(['-', '—', '–', '*', '•', ' ']);
        for cite in ["[1]", "[2]", "[3]"] {
            t = t.strip_prefix(cite).unwrap_or(t);
        }
        if t.len() == before {
            break;
        }
    }
    for label in ["Agent:", "Agent says:", "坐席：", "坐席:"] {
        if let Some(rest) = t.strip_prefix(label) {
            t = rest.trim();
        }
    }
    let t = t.trim_matches(|c| c == '"' || c == '“' || c == '”');
    let mut out = String::new();
    let mut sentences = 0;
    let mut last_end = 0;
    for c in t.chars() {
        out.push(c);
        if matches!(c, '.' | '!' | '?' | '。' | '！' | '？') {
            sentences += 1;
            last_end = out.len();
            if sentences == 2 {
                break;
            }
        }
    }
    if last_end > 0 && last_end < out.len() {
        out.truncate(last_end);
    }
    out.trim().trim_end_matches('"').trim().to_string()
}

/// The summary text and its action items, from the model's answer.
pub fn parse_summary(text: &str) -> (String, Vec<String>) {
    let mut summary = Vec::new();
    let mut items = Vec::new();
    let mut in_items = false;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let lower = line.to_lowercase();
        if lower.starts_with("action items") || line.starts_with("待办") {
            in_items = true;
            let rest = line
                .split_once([':', '：'])
                .map(|(_, r)| r.trim())
                .unwrap_or("");
            if !rest.is_empty() {
                items.push(rest.trim_start_matches("- ").to_string());
            }
            continue;
        }
        if in_items || line.starts_with("- ") || line.starts_with("* ") {
            let item = line.trim_start_matches(['-', '*', '•']).trim().to_string();
            if !item.is_empty() {
                items.push(item);
            }
            continue;
        }
        let line = line
            .strip_prefix("Summary:")
            .or_else(|| line.strip_prefix("摘要："))
            .or_else(|| line.strip_prefix("摘要:"))
            .unwrap_or(line)
            .trim();
        if !line.is_empty() {
            summary.push(line.to_string());
        }
    }
    (summary.join(" "), items)
}

/// Whether a final customer utterance asks something.
pub fn is_question(text: &str) -> bool {
    let t = text.trim();
    if t.ends_with('?') || t.ends_with('？') {
        return true;
    }
    let lower = t.to_lowercase();
    let starts = [
        "what ",
        "how ",
        "why ",
        "when ",
        "where ",
        "which ",
        "who ",
        "can you",
        "could you",
        "do you",
        "does ",
        "is there",
        "are there",
        "will ",
    ];
    starts.iter().any(|s| lower.starts_with(s))
        || ["吗", "呢", "多少", "怎么", "什么", "能不能", "是否"]
            .iter()
            .any(|w| t.contains(w))
}

/// Whether an agent utterance admits not knowing (a knowledge gap worth a suggestion).
pub fn is_knowledge_gap(text: &str) -> bool {
    let lower = text.to_lowercase();
    [
        "i'm not sure",
        "i am not sure",
        "i don't know",
        "let me check",
        "i'll have to check",
        "i need to check",
        "不太清楚",
        "不确定",
        "我查一下",
        "我确认一下",
        "我不知道",
    ]
    .iter()
    .any(|p| lower.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidies_and_parses() {
        assert_eq!(
            tidy_suggestion(
                "Agent: \"We can start small [1]. The pilot stops anytime [2]. Also...\""
            ),
            "We can start small [1]. The pilot stops anytime [2]."
        );
        let (s, items) = parse_summary(
            "Summary: The customer found the price high.\nThey want a pilot.\nAction items:\n- Send the SOC 2 report\n- Book a call with finance",
        );
        assert_eq!(s, "The customer found the price high. They want a pilot.");
        assert_eq!(items, ["Send the SOC 2 report", "Book a call with finance"]);
        let (s, items) = parse_summary("摘要：客户觉得价格高。\n待办：\n- 发送安全报告");
        assert_eq!(s, "客户觉得价格高。");
        assert_eq!(items, ["发送安全报告"]);
    }

    #[test]
    fn questions_and_gaps() {
        assert!(is_question("Does it integrate with Salesforce?"));
        assert!(is_question("这个多少钱"));
        assert!(is_question("how long does onboarding take"));
        assert!(!is_question("We are happy with our vendor."));
        assert!(is_knowledge_gap("Hmm, I'm not sure, let me check."));
        assert!(is_knowledge_gap("这个我不太清楚"));
        assert!(!is_knowledge_gap("Yes, it does."));
    }
}
