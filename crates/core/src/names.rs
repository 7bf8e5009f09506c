//! Names people read and tell apart — user names, operator names, application names — and
//! text a caller chose that reaches a terminal or a log.
//!
//! A name is kept in Unicode's composed form (NFC: `jose` + a combining accent is `josé`), may
//! not hold characters that do not show or that move others (controls, zero-width and
//! bidirectional formatting characters, line separators, odd spaces), may not mix scripts
//! (a Cyrillic `а` among Latin letters), and is unique by its *key*: compatibility-folded,
//! lower-cased and reduced to its confusable skeleton (Unicode TS #39), so `Ada`, `ADA`,
//! `ａｄａ` (full width) and `аԁа` (Cyrillic) are one name.

use std::borrow::Cow;
use unicode_normalization::UnicodeNormalization;
use unicode_properties::general_category::{GeneralCategory, UnicodeGeneralCategory};
use unicode_security::MixedScript;
use unicode_security::confusable_detection::skeleton;

/// What a name names (for messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    User,
    Operator,
    App,
    /// The partner an app belongs to: shown beside the app's name, not unique.
    Partner,
}

impl NameKind {
    fn what(self) -> &'static str {
        match self {
            NameKind::User => "a user name",
            NameKind::Operator => "an operator name",
            NameKind::App => "an application name",
            NameKind::Partner => "a partner name",
        }
    }
}

/// A name that passed the rules: as shown (NFC), and the key it is unique by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    pub shown: String,
    pub key: String,
}

/// The longest name, in characters.
pub const MAX_CHARS: usize = 200;

/// Why a character may not be in a name, if it may not.
fn refused(c: char) -> Option<&'static str> {
    match c.general_category() {
        GeneralCategory::Control => Some("a control character"),
        GeneralCategory::Format => {
            Some("an invisible formatting character (zero-width or bidirectional)")
        }
        GeneralCategory::LineSeparator | GeneralCategory::ParagraphSeparator => {
            Some("a line separator")
        }
        GeneralCategory::PrivateUse | GeneralCategory::Surrogate | GeneralCategory::Unassigned => {
            Some("a character with no agreed meaning")
        }
        GeneralCategory::SpaceSeparator if c != ' ' => Some("a space other than the ordinary one"),
        _ => None,
    }
}

/// Checks a name as given and returns it shown and keyed; the error says what is wrong.
pub fn parse(kind: NameKind, raw: &str) -> Result<Name, String> {
    let shown: String = raw.trim().nfc().collect();
    if shown.is_empty() {
        return Err(format!("{} cannot be empty", kind.what()));
    }
    if shown.chars().count() > MAX_CHARS {
        return Err(format!("{} is at most {MAX_CHARS} characters", kind.what()));
    }
    if let Some((c, why)) = shown.chars().find_map(|c| refused(c).map(|why| (c, why))) {
        return Err(format!(
            "{} cannot hold {why} (U+{:04X})",
            kind.what(),
            u32::from(c)
        ));
    }
    if shown.contains("  ") {
        return Err(format!("{} cannot hold two spaces in a row", kind.what()));
    }
    if !shown.as_str().is_single_script() {
        return Err(format!(
            "{} mixes scripts (letters of one alphabet that look like another's)",
            kind.what()
        ));
    }
    Ok(Name {
        key: key_of(&shown),
        shown,
    })
}

/// Why `wanted` cannot be used when `existing` holds its key: the same name, or one that reads
/// the same (`Ada` and `ada`, Latin `ada` and Cyrillic `аԁа`).
pub fn taken(kind: NameKind, wanted: &str, existing: &str) -> String {
    if wanted == existing {
        format!(
            "{} '{}' is taken",
            capitalised(kind.what()),
            for_terminal(wanted)
        )
    } else {
        format!(
            "'{}' reads the same as {} already taken: '{}'",
            for_terminal(wanted),
            kind.what(),
            for_terminal(existing)
        )
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The key names are unique by: compatibility-folded (NFKC), lower-cased, folded again, and
/// reduced to the confusable skeleton.
pub fn key_of(name: &str) -> String {
    let folded: String = name
        .nfkc()
        .collect::<String>()
        .to_lowercase()
        .nfkc()
        .collect();
    skeleton(&folded).collect()
}

/// Text a caller chose, made safe to print on a terminal or in a log line: controls,
/// formatting characters and line separators are written as escapes (`\n`, `\u{202e}`), so a
/// value cannot start a new line, move the cursor, recolour the screen or reverse the text
/// after it. Unchanged (borrowed) when there is nothing to escape.
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    let odd = |c: char| {
        matches!(
            c.general_category(),
            GeneralCategory::Control
                | GeneralCategory::Format
                | GeneralCategory::LineSeparator
                | GeneralCategory::ParagraphSeparator
        ) || c == '\\'
    };
    if !s.chars().any(odd) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if odd(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> String {
        parse(NameKind::User, s).unwrap().key
    }

    #[test]
    fn names_that_read_the_same_are_one_name() {
        let ada = key("ada");
        // Full-width letters, and Cyrillic а and ԁ that look like Latin a and d.
        for same in [
            "Ada",
            "ADA",
            "\u{ff41}\u{ff44}\u{ff41}",
            " ada ",
            "\u{430}\u{501}\u{430}",
        ] {
            assert_eq!(key(same), ada, "{same}");
        }
        // A combining accent and the composed letter are one.
        assert_eq!(key("jose\u{301}"), key("josé"));
        assert_eq!(parse(NameKind::User, "jose\u{301}").unwrap().shown, "josé");
        assert_ne!(key("ada"), key("adam"));
        assert_ne!(key("customer00001"), key("customer00002"));
    }

    #[test]
    fn what_does_not_show_or_moves_text_is_refused() {
        for (bad, why) in [
            ("", "empty"),
            ("   ", "empty"),
            ("a\u{200b}da", "invisible"),
            ("ada\u{202e}", "invisible"),
            ("ad\u{2066}a", "invisible"),
            ("ada\u{feff}", "invisible"),
            ("mallory\n2026 console client.delete", "control"),
            ("red\u{1b}[31m", "control"),
            ("bell\u{7}", "control"),
            ("line\u{2028}sep", "line separator"),
            ("no\u{a0}break", "space other"),
            ("two  spaces", "two spaces"),
            ("\u{430}da", "mixes scripts"),
            ("\u{e000}", "no agreed meaning"),
        ] {
            let e = parse(NameKind::User, bad).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
        assert!(parse(NameKind::App, &"x".repeat(201)).is_err());
        for fine in [
            "Ada Lovelace",
            "José",
            "Budget <b>Pal</b>",
            "Ελένη",
            "山田太郎",
            "O'Brien-Smith",
        ] {
            assert!(parse(NameKind::User, fine).is_ok(), "{fine}");
        }
    }

    #[test]
    fn a_taken_name_says_which_name_it_reads_like() {
        assert_eq!(
            taken(NameKind::User, "ada", "ada"),
            "A user name 'ada' is taken"
        );
        assert_eq!(
            taken(NameKind::App, "Budget Pal", "budget pal"),
            "'Budget Pal' reads the same as an application name already taken: 'budget pal'"
        );
    }

    #[test]
    fn text_for_a_terminal_cannot_forge_lines_or_colours() {
        assert_eq!(for_terminal("plain"), "plain");
        assert!(matches!(for_terminal("plain"), Cow::Borrowed(_)));
        assert_eq!(
            for_terminal("mallory\n2026  console  client.delete"),
            "mallory\\n2026  console  client.delete"
        );
        assert_eq!(
            for_terminal("\u{1b}[31mRED\u{1b}[0m\u{7}"),
            "\\u{1b}[31mRED\\u{1b}[0m\\u{7}"
        );
        assert_eq!(for_terminal("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(for_terminal("back\\slash"), "back\\\\slash");
    }
}
