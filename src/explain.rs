//! `smtplog explain`: one catalogue entry, or two side by side; `smtplog codes`: all of them.
//!
//! Headings come in four languages; the entry texts stay in English.

use crate::catalogue::{catalogue, Catalogue, EnhancedEntry, Entry, FindError, ReplyEntry};
use crate::code::Class;
use crate::sanitize::csv_cell;
use serde::Serialize;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Why `smtplog explain` cannot explain what it was given: a code that is none, or a
/// pasted line or text (`--line`, `--text`, see [`crate::diagnose`]) it cannot read.
///
/// One type for every form, so that the command treats them alike.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExplainError {
    /// A query that is not a reply code or an enhanced status code.
    #[error(transparent)]
    NotACode(#[from] FindError),
    /// `--line` holds more than one line.
    #[error("--line takes one log line; explain lines one at a time")]
    SeveralLines,
    /// `--line` is empty or only white space.
    #[error("--line is empty")]
    EmptyLine,
    /// `--line` is not a line of an MTA smtplog reads.
    #[error(
        "not a Postfix or Exim log line (syslog `postfix/...` or `exim` lines, or Exim's mainlog)"
    )]
    NotAMailLine,
    /// `--text` is empty or only white space.
    #[error("--text is empty")]
    EmptyText,
}

/// Languages for headings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Chinese (simplified).
    Zh,
    /// French.
    Fr,
    /// Turkish.
    Tr,
}

impl Lang {
    /// From a locale string such as `fr_FR.UTF-8` (the `LANG` variable); English otherwise.
    pub fn from_locale(locale: Option<&str>) -> Lang {
        match locale.map(|l| l.get(..2).unwrap_or("").to_ascii_lowercase()) {
            Some(l) if l == "zh" => Lang::Zh,
            Some(l) if l == "fr" => Lang::Fr,
            Some(l) if l == "tr" => Lang::Tr,
            _ => Lang::En,
        }
    }
}

/// The words of every heading, in one language.
struct Words {
    class: &'static str,
    meaning_for_sender: &'static str,
    status: &'static str,
    defined_in: &'static str,
    answers: &'static str,
    description: &'static str,
    when: &'static str,
    fix_sender: &'static str,
    fix_admin: &'static str,
    who_acts: &'static str,
    related: &'static str,
    variants: &'static str,
    subject: &'static str,
    usual_codes: &'static str,
    not_in_catalogue: &'static str,
    comparison: &'static str,
    differences: &'static str,
    went_through: &'static str,
    when_to_use: &'static str,
    yes: &'static str,
    not_yet_continue: &'static str,
    not_yet_retry: &'static str,
    no_returned: &'static str,
    same_class: &'static str,
    same_class_but: &'static str,
    when_word: &'static str,
    use_done: &'static str,
    use_continue: &'static str,
    use_retry: &'static str,
    use_final: &'static str,
}

const EN: Words = Words {
    class: "Class",
    meaning_for_sender: "What the sender does",
    status: "Status",
    defined_in: "Defined in",
    answers: "Answers",
    description: "What it means",
    when: "When you see it",
    fix_sender: "How to fix it (sender)",
    fix_admin: "How to fix it (server admin)",
    who_acts: "Who must act",
    related: "Related codes",
    variants: "Common non-standard uses",
    subject: "Subject",
    usual_codes: "Usually sent with",
    not_in_catalogue: "This code is not in the catalogue. Its class follows from its first digit",
    comparison: "Comparison",
    differences: "Key differences",
    went_through: "Did the message go through?",
    when_to_use: "When to use which",
    yes: "yes",
    not_yet_continue: "not yet: the exchange continues",
    not_yet_retry: "not yet: the sender keeps it queued and retries",
    no_returned: "no: it is returned to the sender",
    same_class: "both are in the same class",
    same_class_but: "both are in the same class; what each asks for:",
    when_word: "when",
    use_done: "the command worked",
    use_continue: "the server waits for more from the client",
    use_retry: "the problem may clear by itself (the sender keeps the message and retries)",
    use_final: "it will not clear by retrying (the message is returned)",
};

const ZH: Words = Words {
    class: "类别",
    meaning_for_sender: "发送方应做什么",
    status: "状态",
    defined_in: "定义于",
    answers: "回应的命令",
    description: "含义",
    when: "何时出现",
    fix_sender: "解决方法（发送方）",
    fix_admin: "解决方法（服务器管理员）",
    who_acts: "由谁处理",
    related: "相关代码",
    variants: "常见的非标准用法",
    subject: "主题",
    usual_codes: "通常搭配",
    not_in_catalogue: "此代码不在目录中。其类别由第一位数字决定",
    comparison: "对比",
    differences: "主要区别",
    went_through: "邮件是否送达？",
    when_to_use: "何时使用哪一个",
    yes: "是",
    not_yet_continue: "尚未：会话继续",
    not_yet_retry: "尚未：发送方保留在队列中并重试",
    no_returned: "否：退回给发件人",
    same_class: "两者属于同一类别",
    same_class_but: "两者属于同一类别；各自的处理：",
    when_word: "用于",
    use_done: "命令已成功",
    use_continue: "服务器等待客户端继续",
    use_retry: "问题可能自行消失（发送方保留邮件并重试）",
    use_final: "重试无法解决（邮件被退回）",
};

const FR: Words = Words {
    class: "Classe",
    meaning_for_sender: "Ce que fait l'expéditeur",
    status: "Statut",
    defined_in: "Défini dans",
    answers: "Répond à",
    description: "Signification",
    when: "Quand le voit-on",
    fix_sender: "Comment corriger (expéditeur)",
    fix_admin: "Comment corriger (administrateur du serveur)",
    who_acts: "Qui doit agir",
    related: "Codes liés",
    variants: "Usages non standard courants",
    subject: "Sujet",
    usual_codes: "Envoyé en général avec",
    not_in_catalogue:
        "Ce code n'est pas dans le catalogue. Sa classe découle de son premier chiffre",
    comparison: "Comparaison",
    differences: "Différences principales",
    went_through: "Le message est-il passé ?",
    when_to_use: "Quand utiliser lequel",
    yes: "oui",
    not_yet_continue: "pas encore : l'échange continue",
    not_yet_retry: "pas encore : l'expéditeur le garde en file et réessaie",
    no_returned: "non : il est renvoyé à l'expéditeur",
    same_class: "les deux sont de la même classe",
    same_class_but: "les deux sont de la même classe ; ce que chacun demande :",
    when_word: "quand",
    use_done: "la commande a réussi",
    use_continue: "le serveur attend la suite du client",
    use_retry: "le problème peut se résoudre seul (l'expéditeur garde le message et réessaie)",
    use_final: "réessayer ne servira à rien (le message est renvoyé)",
};

const TR: Words = Words {
    class: "Sınıf",
    meaning_for_sender: "Gönderen ne yapar",
    status: "Durum",
    defined_in: "Tanımlandığı belge",
    answers: "Yanıtladığı komutlar",
    description: "Anlamı",
    when: "Ne zaman görülür",
    fix_sender: "Nasıl düzeltilir (gönderen)",
    fix_admin: "Nasıl düzeltilir (sunucu yöneticisi)",
    who_acts: "Kim harekete geçmeli",
    related: "İlgili kodlar",
    variants: "Yaygın standart dışı kullanımlar",
    subject: "Konu",
    usual_codes: "Genellikle birlikte gönderilir",
    not_in_catalogue: "Bu kod katalogda yok. Sınıfı ilk rakamından anlaşılır",
    comparison: "Karşılaştırma",
    differences: "Temel farklar",
    went_through: "İleti iletildi mi?",
    when_to_use: "Hangisi ne zaman kullanılır",
    yes: "evet",
    not_yet_continue: "henüz değil: oturum sürüyor",
    not_yet_retry: "henüz değil: gönderen kuyrukta tutar ve yeniden dener",
    no_returned: "hayır: gönderene geri döner",
    same_class: "ikisi de aynı sınıfta",
    same_class_but: "ikisi de aynı sınıfta; her birinin istediği:",
    when_word: "şu durumda:",
    use_done: "komut başarılı oldu",
    use_continue: "sunucu istemciden devamını bekliyor",
    use_retry: "sorun kendiliğinden geçebilir (gönderen iletiyi tutar ve yeniden dener)",
    use_final: "yeniden denemek işe yaramaz (ileti geri döner)",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &EN,
        Lang::Zh => &ZH,
        Lang::Fr => &FR,
        Lang::Tr => &TR,
    }
}

/// A code as a comparable whole: its name, class and the fields both kinds share.
struct View<'a> {
    name: String,
    class: Class,
    title: &'a str,
    description: String,
    when: &'a str,
    fix_sender: &'a str,
    fix_admin: &'a str,
    actor: &'a str,
    status: &'a str,
    rfc: &'a str,
    answers: String,
    related: String,
    advice: &'a str,
}

fn reply_view(entry: &ReplyEntry) -> View<'_> {
    View {
        name: entry.code.to_string(),
        class: Class::from_digit((entry.code / 100) as u8).unwrap_or(Class::Permanent),
        title: &entry.title,
        description: entry.description.clone(),
        when: &entry.when,
        fix_sender: &entry.fix_sender,
        fix_admin: &entry.fix_admin,
        actor: &entry.actor,
        status: &entry.status,
        rfc: &entry.rfc,
        answers: entry.commands.join(", "),
        related: entry.related.join(", "),
        advice: &entry.advice,
    }
}

fn enhanced_view(entry: &EnhancedEntry, class_digit: u8) -> View<'_> {
    let note = entry.class_note(class_digit);
    let mut description = entry.description.clone();
    if !note.is_empty() {
        let _ = write!(description, "\n{class_digit}.x.x: {note}");
    }
    View {
        name: entry.code.replacen('X', &class_digit.to_string(), 1),
        class: Class::from_digit(class_digit).unwrap_or(Class::Permanent),
        title: &entry.title,
        description,
        when: &entry.when,
        fix_sender: &entry.fix_sender,
        fix_admin: &entry.fix_admin,
        actor: &entry.actor,
        status: &entry.status,
        rfc: &entry.rfc,
        answers: entry.basic_codes_text(),
        related: entry.related.join(", "),
        advice: &entry.advice,
    }
}

fn went_through(w: &Words, class: Class) -> &'static str {
    match class {
        Class::Positive => w.yes,
        Class::Intermediate => w.not_yet_continue,
        Class::Transient => w.not_yet_retry,
        Class::Permanent => w.no_returned,
    }
}

fn field(out: &mut String, heading: &str, text: &str) {
    if !text.trim().is_empty() {
        let _ = writeln!(out, "{heading}:");
        for line in text.lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
}

/// The catalogue's entry for a code the user typed, if it has one.
fn entry_view<'a>(entry: &Entry<'a>) -> Option<View<'a>> {
    match entry {
        Entry::Reply(_, Some(e)) => Some(reply_view(e)),
        Entry::Enhanced(code, Some(e)) => Some(enhanced_view(e, code.class())),
        _ => None,
    }
}

/// The fields every explanation starts with: class, what it tells the sender, and for an
/// enhanced code its subject.
fn class_fields(out: &mut String, cat: &Catalogue, w: &Words, entry: &Entry<'_>, class: Class) {
    // English labels: only comparisons translate them (`explain 550 --lang fr` keeps them).
    let (label, meaning) = class_line(cat, class, Lang::En);
    field(out, w.class, &label);
    field(out, w.meaning_for_sender, &meaning);
    if let Entry::Enhanced(code, _) = entry {
        if let Some(subject) = cat.subject(code.subject()) {
            field(
                out,
                w.subject,
                &format!("{}: {}", subject.name, subject.meaning),
            );
        }
    }
}

fn unknown(cat: &Catalogue, w: &Words, entry: &Entry<'_>) -> String {
    let (name, class) = match entry {
        Entry::Reply(code, _) => (code.to_string(), code.class()),
        Entry::Enhanced(code, _) => (
            code.to_string(),
            Class::from_digit(code.class()).unwrap_or(Class::Permanent),
        ),
    };
    let mut out = format!("{name}\n\n{}.\n", w.not_in_catalogue);
    class_fields(&mut out, cat, w, entry, class);
    out
}

/// One entry as text.
pub fn explain_one(query: &str, lang: Lang) -> Result<String, ExplainError> {
    let cat = catalogue();
    let w = words(lang);
    let entry = cat.find(query)?;
    let Some(v) = entry_view(&entry) else {
        return Ok(unknown(cat, w, &entry));
    };
    let mut out = format!(
        "{}  {}\n{}\n\n",
        v.name,
        v.title,
        "=".repeat(v.name.len() + 2 + v.title.chars().count())
    );
    class_fields(&mut out, cat, w, &entry, v.class);
    field(&mut out, w.status, v.status);
    field(&mut out, w.defined_in, v.rfc);
    let answers = if matches!(entry, Entry::Enhanced(..)) {
        w.usual_codes
    } else {
        w.answers
    };
    field(&mut out, answers, &v.answers);
    field(&mut out, w.description, &v.description);
    field(&mut out, w.when, v.when);
    field(&mut out, w.fix_sender, v.fix_sender);
    field(&mut out, w.fix_admin, v.fix_admin);
    field(&mut out, w.who_acts, v.actor);
    field(&mut out, w.related, &v.related);
    if let Entry::Reply(_, Some(e)) = entry {
        if !e.variants.is_empty() {
            let _ = writeln!(out, "{}:", w.variants);
            for variant in &e.variants {
                let code = variant
                    .enhanced
                    .as_deref()
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default();
                let _ = writeln!(out, "  - {}{}: {}", variant.name, code, variant.text);
            }
        }
    }
    Ok(out)
}

/// Two entries side by side (see [`compare_all`]).
pub fn compare(a: &str, b: &str, lang: Lang) -> Result<String, ExplainError> {
    compare_all(&[a, b], lang)
}

/// The words of a value label (`standard`, `nobody`, `the sender`, a class name) in
/// `lang`; labels without a translation (free text) stay as they are.
fn value(lang: Lang, text: &str) -> String {
    // (English, Chinese, French, Turkish)
    const LABELS: &[(&str, &str, &str, &str)] = &[
        ("standard", "标准", "standard", "standart"),
        ("extension", "扩展", "extension", "uzantı"),
        ("non-standard", "非标准", "non standard", "standart dışı"),
        ("nobody", "无需处理", "personne", "hiç kimse"),
        (
            "nobody (the queue retries)",
            "无需处理（队列会重试）",
            "personne (la file réessaie)",
            "hiç kimse (kuyruk yeniden dener)",
        ),
        ("the sender", "发件人", "l'expéditeur", "gönderen"),
        ("the recipient", "收件人", "le destinataire", "alıcı"),
        (
            "the sending server's admin",
            "发送服务器管理员",
            "l'administrateur du serveur d'envoi",
            "gönderen sunucunun yöneticisi",
        ),
        (
            "the receiving server's admin",
            "接收服务器管理员",
            "l'administrateur du serveur de réception",
            "alan sunucunun yöneticisi",
        ),
        (
            "depends on the reply text",
            "取决于回复文本",
            "selon le texte de la réponse",
            "yanıt metnine bağlı",
        ),
        (
            "Positive Completion",
            "肯定完成",
            "Achèvement positif",
            "Olumlu tamamlama",
        ),
        (
            "Positive Intermediate",
            "肯定中间",
            "Intermédiaire positif",
            "Olumlu ara yanıt",
        ),
        (
            "Transient Negative Completion",
            "暂时否定完成",
            "Échec temporaire",
            "Geçici olumsuz tamamlama",
        ),
        (
            "Permanent Negative Completion",
            "永久否定完成",
            "Échec permanent",
            "Kalıcı olumsuz tamamlama",
        ),
        ("done", "完成", "terminé", "tamam"),
        ("continue", "继续", "continuer", "devam"),
        (
            "retry later",
            "稍后重试",
            "réessayer plus tard",
            "sonra yeniden dene",
        ),
        ("give up", "放弃", "abandonner", "vazgeç"),
    ];
    match LABELS.iter().find(|(en, ..)| *en == text) {
        Some((en, zh, fr, tr)) => match lang {
            Lang::En => en,
            Lang::Zh => zh,
            Lang::Fr => fr,
            Lang::Tr => tr,
        }
        .to_string(),
        None => text.to_string(),
    }
}

/// What tells two codes apart, in one sentence for "when to use which": their classes
/// when those differ, else each one's own advice (what to do on seeing it).
fn which(w: &Words, a: &View<'_>, b: &View<'_>) -> String {
    let rank = |c: Class| match c {
        Class::Positive => 0,
        Class::Intermediate => 1,
        Class::Transient => 2,
        Class::Permanent => 3,
    };
    if a.class != b.class {
        let (first, second) = if rank(a.class) < rank(b.class) {
            (a, b)
        } else {
            (b, a)
        };
        let when = |v: &View<'_>| match v.class {
            Class::Positive => w.use_done,
            Class::Intermediate => w.use_continue,
            Class::Transient => w.use_retry,
            Class::Permanent => w.use_final,
        };
        return format!(
            "{} {} {}; {} {} {}.",
            first.name,
            w.when_word,
            when(first),
            second.name,
            w.when_word,
            when(second)
        );
    }
    format!(
        "{} {}: {} {}: {}",
        w.same_class_but, a.name, a.advice, b.name, b.advice
    )
}

/// Any number of entries side by side: each one's class, meaning, situations and fixes,
/// then the key differences and, for each pair, when to use which.
pub fn compare_all(queries: &[&str], lang: Lang) -> Result<String, ExplainError> {
    let cat = catalogue();
    let w = words(lang);
    let entries = queries
        .iter()
        .map(|q| cat.find(q))
        .collect::<Result<Vec<_>, _>>()?;
    let views: Vec<Option<View<'_>>> = entries.iter().map(entry_view).collect();
    if views.iter().any(Option::is_none) {
        let mut out = String::new();
        for (e, v) in entries.iter().zip(&views) {
            match v {
                Some(v) => out.push_str(&explain_one(&v.name, lang)?),
                None => out.push_str(&unknown(cat, w, e)),
            }
            out.push('\n');
        }
        return Ok(out);
    }
    let views: Vec<View<'_>> = views.into_iter().flatten().collect();
    let names: Vec<String> = views
        .iter()
        .map(|v| format!("{} {}", v.name, v.title))
        .collect();
    let title = format!("{}: {}", w.comparison, names.join(" / "));
    let mut out = format!("{title}\n{}\n\n", "=".repeat(display_width(&title)));
    for v in &views {
        let (label, meaning) = class_line(cat, v.class, lang);
        let heading = format!("{}  {}", v.name, v.title);
        let _ = writeln!(out, "{heading}\n{}", "-".repeat(display_width(&heading)));
        field(&mut out, w.class, &format!("{label}. {meaning}"));
        field(&mut out, w.description, &v.description);
        field(&mut out, w.when, v.when);
        field(&mut out, w.fix_sender, v.fix_sender);
        field(&mut out, w.fix_admin, v.fix_admin);
        out.push('\n');
    }
    let _ = writeln!(out, "{}:", w.differences);
    let each = |f: &dyn Fn(&View<'_>) -> String| -> String {
        views
            .iter()
            .map(|v| format!("{}: {}", v.name, f(v)))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let class_note = if views.iter().all(|v| v.class == views[0].class) {
        format!("{} ({})", w.same_class, views[0].class.label())
    } else {
        each(&|v| v.class.label().to_string())
    };
    let _ = writeln!(out, "  1. {}: {class_note}", w.class);
    let _ = writeln!(
        out,
        "  2. {} {}",
        w.went_through,
        each(&|v| went_through(w, v.class).to_string())
    );
    let _ = writeln!(
        out,
        "  3. {}: {}",
        w.who_acts,
        each(&|v| value(lang, v.actor))
    );
    let _ = writeln!(out, "  4. {}: {}", w.answers, each(&|v| v.answers.clone()));
    let _ = writeln!(
        out,
        "  5. {}: {}",
        w.status,
        each(&|v| format!("{} ({})", value(lang, v.status), v.rfc))
    );
    let _ = writeln!(out, "\n{}:", w.when_to_use);
    for (i, a) in views.iter().enumerate() {
        for b in &views[i + 1..] {
            let _ = writeln!(out, "  - {} / {}: {}", a.name, b.name, which(w, a, b));
        }
    }
    Ok(out)
}

/// A class's name and what it means for the sender, with the labels in `lang`.
fn class_line(cat: &Catalogue, class: Class, lang: Lang) -> (String, String) {
    match cat.class(class) {
        Some(c) => (
            format!("{} {}", class.label(), value(lang, &c.name)),
            format!("{}: {}", value(lang, &c.sender_action), c.meaning),
        ),
        None => (class.label().to_string(), String::new()),
    }
}

fn display_width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// Wrap an explanation to `width` display columns: each long line continues under its own
/// text (past its indent, a list marker or a `Label:   ` column), so headings and lists
/// keep their shape.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for line in text.lines() {
        if display_width(line) <= width {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        // An underline as long as a wrapped title: as wide as the page.
        if line.chars().all(|c| c == '=' || c == '-') {
            out.push_str(&line[..width]);
            out.push('\n');
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let rest = &line[indent..];
        let numbered = rest
            .find(". ")
            .filter(|&d| d > 0 && d <= 3 && rest[..d].chars().all(|c| c.is_ascii_digit()));
        // A list marker ("- ", "1. ") or an aligned label ("Text:            ").
        let marker = if rest.starts_with("- ") {
            2
        } else if let Some(dot) = numbered {
            dot + 2
        } else if let Some(colon) = rest.find(":  ") {
            let after = &rest[colon + 1..];
            colon + 1 + (after.len() - after.trim_start().len())
        } else {
            0
        };
        let hang = display_width(&line[..indent + marker]).min(width / 2);
        let hang = " ".repeat(hang);
        // A word longer than the line (a URL) stays whole, to copy or click.
        let options = textwrap::Options::new(width)
            .subsequent_indent(&hang)
            .break_words(false)
            .word_splitter(textwrap::WordSplitter::NoHyphenation);
        for piece in textwrap::wrap(line, options) {
            out.push_str(piece.trim_end());
            out.push('\n');
        }
    }
    out
}

/// One row of the catalogue export.
#[derive(Debug, Serialize)]
pub struct CodeExport<'a> {
    /// `reply` or `enhanced`.
    pub kind: &'static str,
    /// `551` or `X.1.6`.
    pub code: String,
    /// `5xx`, or the classes an enhanced code is used in (`4,5`).
    pub class: String,
    /// Title.
    pub title: &'a str,
    /// standard / extension / non-standard.
    pub status: &'a str,
    /// Defining document.
    pub rfc: &'a str,
    /// Commands answered, or basic codes it comes with.
    pub answers: String,
    /// What it means.
    pub description: &'a str,
    /// When you see it.
    pub when: &'a str,
    /// Fix (sender).
    pub fix_sender: &'a str,
    /// Fix (server admin).
    pub fix_admin: &'a str,
    /// One-line advice.
    pub advice: &'a str,
    /// Who must act.
    pub actor: &'a str,
    /// Related codes.
    pub related: String,
}

/// Every entry, basic codes first.
pub fn export_rows() -> Vec<CodeExport<'static>> {
    let cat = catalogue();
    let replies = cat.replies().map(|e| CodeExport {
        kind: "reply",
        code: e.code.to_string(),
        class: format!("{}xx", e.code / 100),
        title: &e.title,
        status: &e.status,
        rfc: &e.rfc,
        answers: e.commands.join(", "),
        description: &e.description,
        when: &e.when,
        fix_sender: &e.fix_sender,
        fix_admin: &e.fix_admin,
        advice: &e.advice,
        actor: &e.actor,
        related: e.related.join(", "),
    });
    let enhanced = cat.enhanced_entries().map(|e| CodeExport {
        kind: "enhanced",
        code: e.code.clone(),
        class: e.classes_text(),
        title: &e.title,
        status: &e.status,
        rfc: &e.rfc,
        answers: e.basic_codes_text(),
        description: &e.description,
        when: &e.when,
        fix_sender: &e.fix_sender,
        fix_admin: &e.fix_admin,
        advice: &e.advice,
        actor: &e.actor,
        related: e.related.join(", "),
    });
    replies.chain(enhanced).collect()
}

/// Export formats for `smtplog codes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// One line per code: code, title, advice.
    Text,
    /// All fields, one row per code.
    Csv,
    /// All fields, one object per code.
    Json,
}

/// Write the whole catalogue.
pub fn export(format: ExportFormat, out: &mut dyn Write) -> io::Result<()> {
    let rows = export_rows();
    match format {
        ExportFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &rows)?;
            writeln!(out)
        }
        ExportFormat::Csv => {
            let mut writer = ::csv::Writer::from_writer(out);
            writer.write_record([
                "kind",
                "code",
                "class",
                "title",
                "status",
                "rfc",
                "answers",
                "description",
                "when",
                "fix_sender",
                "fix_admin",
                "advice",
                "actor",
                "related",
            ])?;
            for r in &rows {
                let cells = [
                    r.kind,
                    &r.code,
                    &r.class,
                    r.title,
                    r.status,
                    r.rfc,
                    &r.answers,
                    r.description,
                    r.when,
                    r.fix_sender,
                    r.fix_admin,
                    r.advice,
                    r.actor,
                    &r.related,
                ];
                writer.write_record(cells.iter().map(|c| csv_cell(c).into_owned()))?;
            }
            writer.flush()
        }
        ExportFormat::Text => {
            for r in &rows {
                writeln!(
                    out,
                    "{:<9} {:<8} {:<48} {}",
                    r.kind, r.code, r.title, r.advice
                )?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_picks_language() {
        assert_eq!(Lang::from_locale(Some("fr_FR.UTF-8")), Lang::Fr);
        assert_eq!(Lang::from_locale(Some("zh_CN.UTF-8")), Lang::Zh);
        assert_eq!(Lang::from_locale(Some("tr_TR")), Lang::Tr);
        assert_eq!(Lang::from_locale(Some("C")), Lang::En);
        assert_eq!(Lang::from_locale(None), Lang::En);
    }

    #[test]
    fn one_entry_has_every_section() {
        let text = explain_one("551", Lang::En).unwrap();
        for heading in [
            "551  User Not Local",
            "Class:",
            "5xx",
            "What it means:",
            "When you see it:",
            "How to fix it (sender):",
            "How to fix it (server admin):",
            "Who must act:",
            "Related codes:",
            "RFC 5321",
        ] {
            assert!(text.contains(heading), "missing {heading:?} in\n{text}");
        }
        let text = explain_one("4.2.2", Lang::En).unwrap();
        assert!(text.starts_with("4.2.2"));
        assert!(text.contains("4.x.x:"), "{text}");
    }

    #[test]
    fn unknown_codes_get_their_class() {
        let text = explain_one("599", Lang::En).unwrap();
        assert!(
            text.contains("not in the catalogue") && text.contains("5xx"),
            "{text}"
        );
        let text = explain_one("4.9.99", Lang::Fr).unwrap();
        assert!(
            text.contains("pas dans le catalogue") && text.contains("4xx"),
            "{text}"
        );
        assert!(explain_one("hello", Lang::En).is_err());
    }

    #[test]
    fn comparison_in_every_language() {
        for (lang, words) in [
            (Lang::En, &EN),
            (Lang::Zh, &ZH),
            (Lang::Fr, &FR),
            (Lang::Tr, &TR),
        ] {
            let text = compare("251", "551", lang).unwrap();
            for heading in [
                words.comparison,
                words.differences,
                words.when_to_use,
                words.went_through,
                words.who_acts,
            ] {
                assert!(text.contains(heading), "{lang:?}: missing {heading:?}");
            }
            assert!(
                text.contains("251")
                    && text.contains("551")
                    && text.contains("2xx")
                    && text.contains("5xx")
            );
        }
    }

    #[test]
    fn wrap_hangs_under_labels_and_list_markers() {
        let text = "Title\n=============================\n  Text:     one two three four five six\n  - item one two three four\n  12. alpha beta gamma delta\nshort\n";
        assert_eq!(
            wrap(text, 24),
            "Title\n========================\n  Text:     one two\n            three four\n            five six\n  - item one two three\n    four\n  12. alpha beta gamma\n      delta\nshort\n"
        );
    }

    #[test]
    fn many_codes_compare_pair_by_pair() {
        let text = compare_all(&["250", "451", "550"], Lang::En).unwrap();
        let pairs: Vec<&str> = text.lines().filter(|l| l.starts_with("  - ")).collect();
        assert_eq!(pairs.len(), 3, "{text}");
        assert!(pairs[0].starts_with("  - 250 / 451: 250 when the command worked"));
        assert!(compare_all(&["250", "hello"], Lang::En).is_err());
    }

    #[test]
    fn a_query_that_is_no_code_says_so() {
        let err = compare_all(&["250", " hello "], Lang::En).unwrap_err();
        assert_eq!(
            err,
            ExplainError::NotACode(FindError::NotACode("hello".to_string()))
        );
        // Transparent: the catalogue's words, with nothing around them.
        assert_eq!(
            err.to_string(),
            "\"hello\" is not an SMTP reply code (200-599, e.g. 550) or an enhanced status code (e.g. 5.7.1)"
        );
    }

    #[test]
    fn export_covers_the_catalogue() {
        let rows = export_rows();
        assert!(rows.iter().any(|r| r.code == "551") && rows.iter().any(|r| r.code == "X.7.30"));
        let mut csv = Vec::new();
        export(ExportFormat::Csv, &mut csv).unwrap();
        let mut reader = ::csv::Reader::from_reader(&csv[..]);
        assert_eq!(reader.records().count(), rows.len());
    }
}
