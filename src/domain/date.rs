//! Dates that keep their precision: a year, a month or a day is known, never
//! more than the source gave.

use std::fmt;

/// A calendar date known to year, month or day precision.
///
/// Ordering compares the earliest day the date may stand for, then the
/// precision (a coarser date sorts first among dates that start together).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PartialDate {
    year: i32,
    /// 0 = not known.
    month: u8,
    /// 0 = not known; never set without `month`.
    day: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("year {0} is outside 1..=9999")]
    Year(i32),
    #[error("month {0} is outside 1..=12")]
    Month(i32),
    #[error("day {day} does not exist in {year}-{month:02}")]
    Day { year: i32, month: i32, day: i32 },
    #[error("a day is given without a month")]
    DayWithoutMonth,
    #[error("'{0}' is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD")]
    Syntax(String),
}

impl PartialDate {
    /// Builds a date from its parts, 0 meaning "not known" for month and day.
    pub fn new(year: i32, month: i32, day: i32) -> Result<Self, DateError> {
        if !(1..=9999).contains(&year) {
            return Err(DateError::Year(year));
        }
        if !(0..=12).contains(&month) {
            return Err(DateError::Month(month));
        }
        if month == 0 && day != 0 {
            return Err(DateError::DayWithoutMonth);
        }
        if day != 0 && !(1..=days_in_month(year, month as u8) as i32).contains(&day) {
            return Err(DateError::Day { year, month, day });
        }
        Ok(Self {
            year,
            month: month as u8,
            day: day as u8,
        })
    }

    /// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Self, DateError> {
        let syntax = || DateError::Syntax(text.to_owned());
        let mut parts = text.split('-');
        let year = parse_part(parts.next(), 4).ok_or_else(syntax)?;
        let month = match parts.next() {
            Some(p) => parse_part(Some(p), 2).ok_or_else(syntax)?,
            None => 0,
        };
        let day = match parts.next() {
            Some(p) => parse_part(Some(p), 2).ok_or_else(syntax)?,
            None => 0,
        };
        if parts.next().is_some() {
            return Err(syntax());
        }
        Self::new(year, month, day)
    }

    pub fn year(self) -> i32 {
        self.year
    }

    /// 0 when not known.
    pub fn month(self) -> u8 {
        self.month
    }

    /// 0 when not known.
    pub fn day(self) -> u8 {
        self.day
    }

    /// True when year, month and day are all known.
    pub fn is_full(self) -> bool {
        self.day != 0
    }

    /// The first day this date may stand for.
    pub fn earliest(self) -> (i32, u8, u8) {
        (self.year, self.month.max(1), self.day.max(1))
    }

    /// The last day this date may stand for.
    pub fn latest(self) -> (i32, u8, u8) {
        let month = if self.month == 0 { 12 } else { self.month };
        let day = if self.day == 0 {
            days_in_month(self.year, month)
        } else {
            self.day
        };
        (self.year, month, day)
    }

    /// True when the whole period this date stands for lies on or before `day`:
    /// only then is an event at this date certain to have happened by `day`.
    pub fn is_certainly_on_or_before(self, day: PartialDate) -> bool {
        self.latest() <= day.earliest()
    }

    /// Today's date (UTC).
    pub fn today() -> Self {
        use chrono::Datelike;
        let today = chrono::Utc::now().date_naive();
        Self {
            year: today.year(),
            month: today.month() as u8,
            day: today.day() as u8,
        }
    }

    /// The day after a full date; a month or a year is returned unchanged
    /// (its "next day" is not a date of the same precision).
    pub fn day_after(self) -> Self {
        if !self.is_full() {
            return self;
        }
        let (mut year, mut month, mut day) = (self.year, self.month, self.day + 1);
        if day > days_in_month(year, month) {
            day = 1;
            month += 1;
            if month > 12 {
                month = 1;
                year += 1;
            }
        }
        Self { year, month, day }
    }

    fn precision_rank(self) -> u8 {
        match (self.month, self.day) {
            (0, _) => 0,
            (_, 0) => 1,
            _ => 2,
        }
    }
}

impl Ord for PartialDate {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.earliest()
            .cmp(&other.earliest())
            .then(self.precision_rank().cmp(&other.precision_rank()))
    }
}

impl PartialOrd for PartialDate {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if self.month != 0 {
            write!(f, "-{:02}", self.month)?;
        }
        if self.day != 0 {
            write!(f, "-{:02}", self.day)?;
        }
        Ok(())
    }
}

fn parse_part(part: Option<&str>, width: usize) -> Option<i32> {
    let part = part?;
    if part.len() != width || !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}

fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn date(text: &str) -> PartialDate {
        PartialDate::parse(text).expect("valid date")
    }

    #[test]
    fn the_day_after_crosses_months_and_years_and_leaves_coarse_dates_alone() {
        assert_eq!(date("2020-12-31").day_after(), date("2021-01-01"));
        assert_eq!(date("2024-02-28").day_after(), date("2024-02-29"));
        assert_eq!(date("2023-02-28").day_after(), date("2023-03-01"));
        assert_eq!(date("2019-10-01").day_after(), date("2019-10-02"));
        assert_eq!(date("2020-12").day_after(), date("2020-12"));
        assert_eq!(date("2020").day_after(), date("2020"));
    }

    #[test]
    fn parses_and_prints_each_precision() {
        for text in ["2020", "2020-10", "2020-10-06"] {
            assert_eq!(date(text).to_string(), text);
        }
    }

    #[test]
    fn rejects_malformed_and_impossible_dates() {
        for text in [
            "",
            "20",
            "2020-1",
            "2020-13",
            "2021-02-29",
            "2020-10-06-1",
            "x020",
        ] {
            assert!(
                PartialDate::parse(text).is_err(),
                "{text} should be rejected"
            );
        }
        assert_eq!(date("2024-02-29").day(), 29);
        assert_eq!(
            PartialDate::new(2020, 0, 3),
            Err(DateError::DayWithoutMonth)
        );
    }

    #[test]
    fn a_month_is_certain_only_once_it_has_ended() {
        assert!(!date("2022-02").is_certainly_on_or_before(date("2022-02-15")));
        assert!(date("2022-02").is_certainly_on_or_before(date("2022-03-01")));
        assert!(date("2020-10-06").is_certainly_on_or_before(date("2020-10-06")));
        assert!(!date("2020").is_certainly_on_or_before(date("2020-12-30")));
        assert_eq!(date("2023-02").latest(), (2023, 2, 28));
    }

    #[test]
    fn orders_by_earliest_day_then_precision() {
        assert!(date("2020") < date("2020-01"));
        assert!(date("2020-01") < date("2020-01-01"));
        assert!(date("2020-01-31") < date("2020-02"));
    }
}
