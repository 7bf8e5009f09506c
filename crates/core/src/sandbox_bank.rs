//! The sandbox's demo bank: accounts and transactions for each sandbox user, derived from the
//! user's `sub` alone (the same user always has the same accounts, amounts and memos), with
//! dates counted back from the sandbox clock's `today`. What the Banno profile's sandbox
//! consumer API answers; no rows are stored.

use chrono::{Duration, NaiveDate};
use serde::Serialize;

/// A deposit or credit account, in the shape Banno's consumer API uses (money as decimal
/// strings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub id: String,
    pub name: String,
    pub account_type: &'static str,
    pub account_sub_type: &'static str,
    pub masked_account_number: String,
    pub routing_number: &'static str,
    pub balance: String,
    pub available_balance: String,
    pub fetched_date: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    pub id: String,
    pub account_id: String,
    pub amount: String,
    pub memo: String,
    pub date_posted: String,
    pub status: &'static str,
}

/// A stream of numbers from a seed (SplitMix64): deterministic, no dependency.
struct Seq(u64);

impl Seq {
    fn from(text: &str) -> Seq {
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes());
        let mut b = [0u8; 8];
        b.copy_from_slice(&d.as_ref()[..8]);
        Seq(u64::from_be_bytes(b))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A UUID-shaped id.
    fn id(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            ((b >> 48) & 0x3fff) | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }
}

fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

const KINDS: [(&str, &str, &str); 3] = [
    ("Everyday Checking", "Deposit", "Checking"),
    ("High-Yield Savings", "Deposit", "Savings"),
    ("Rewards Visa", "CreditCard", "Visa"),
];

/// The user's accounts: checking and savings, and for some users a credit card.
pub fn accounts(sub: &str, today: NaiveDate) -> Vec<Account> {
    let mut seq = Seq::from(&format!("accounts:{sub}"));
    let count = 2 + seq.below(2) as usize;
    KINDS
        .iter()
        .take(count)
        .map(|(name, kind, sub_kind)| {
            let id = seq.id();
            let cents = i64::try_from(seq.below(900_000)).unwrap_or(0) + 10_000;
            let cents = if *kind == "CreditCard" {
                -cents / 10
            } else {
                cents
            };
            Account {
                masked_account_number: format!("*{:04}", seq.below(10_000)),
                id,
                name: (*name).to_string(),
                account_type: kind,
                account_sub_type: sub_kind,
                routing_number: "021000021",
                balance: money(cents),
                available_balance: money(cents - i64::try_from(seq.below(5_000)).unwrap_or(0)),
                fetched_date: format!("{today}T06:00:00Z"),
            }
        })
        .collect()
}

const MEMOS: [&str; 10] = [
    "GROCERY MART #1142",
    "COFFEE CORNER",
    "PAYROLL DEPOSIT",
    "CITY WATER UTILITY",
    "ONLINE TRANSFER TO SAVINGS",
    "GAS STATION 88",
    "STREAMING SUBSCRIPTION",
    "PHARMACY 24H",
    "RESTAURANT LA MESA",
    "ATM WITHDRAWAL",
];

/// How many days of history an account has (one to three transactions a day, on average two).
pub const HISTORY_DAYS: i64 = 45;

/// An account's transactions, newest first, posted on days up to `today`.
pub fn transactions(sub: &str, account_id: &str, today: NaiveDate) -> Vec<Transaction> {
    let mut seq = Seq::from(&format!("transactions:{sub}:{account_id}"));
    let mut out = Vec::new();
    for day in 0..HISTORY_DAYS {
        let date = today - Duration::days(day);
        for _ in 0..seq.below(4) {
            let memo = MEMOS[usize::try_from(seq.below(MEMOS.len() as u64)).unwrap_or(0)];
            let cents = i64::try_from(seq.below(25_000)).unwrap_or(0) + 100;
            let amount = if memo == "PAYROLL DEPOSIT" {
                cents * 10
            } else {
                -cents
            };
            out.push(Transaction {
                id: seq.id(),
                account_id: account_id.to_string(),
                amount: money(amount),
                memo: memo.to_string(),
                date_posted: format!("{date}T12:00:00Z"),
                status: if day == 0 { "Pending" } else { "Posted" },
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_user_has_the_same_bank_and_others_another() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let a = accounts("user-a", today);
        assert_eq!(a, accounts("user-a", today));
        assert_ne!(a, accounts("user-b", today));
        assert!((2..=3).contains(&a.len()));
        let t = transactions("user-a", &a[0].id, today);
        assert_eq!(t, transactions("user-a", &a[0].id, today));
        assert!(!t.is_empty());
        assert!(t.iter().all(|x| x.account_id == a[0].id));
        assert!(
            t.iter()
                .all(|x| x.date_posted.as_str() <= "2026-12-05T12:00:00Z")
        );
        // Days move with the sandbox clock; amounts and ids do not.
        let later = transactions("user-a", &a[0].id, today + Duration::days(1));
        let day =
            |x: &Transaction| NaiveDate::parse_from_str(&x.date_posted[..10], "%Y-%m-%d").unwrap();
        for (l, e) in later.iter().zip(&t) {
            assert_eq!((&l.id, &l.amount), (&e.id, &e.amount));
            assert_eq!(day(l), day(e) + Duration::days(1));
        }
    }

    #[test]
    fn money_reads_as_decimal_strings() {
        assert_eq!(money(123_456), "1234.56");
        assert_eq!(money(-5), "-0.05");
        assert_eq!(money(0), "0.00");
    }
}
