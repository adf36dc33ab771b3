//! What a legacy rule does to the new side's rows: one enum for the causes explain finds,
//! the rules file, the lab and every rendering of a rule as SQL.

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Legacy leaves these rows of the new side out.
    Exclude,
    /// Legacy has rows the new side lacks.
    Include,
    /// Legacy computes a column differently on these rows.
    Adjust,
    /// Legacy dates these rows differently.
    Shift,
    /// The new side repeats rows (a fan-out join); legacy has each once.
    Dedupe,
}

impl Kind {
    pub fn parse(text: &str) -> Option<Kind> {
        Some(match text {
            "exclude" => Kind::Exclude,
            "include" => Kind::Include,
            "adjust" => Kind::Adjust,
            "shift" => Kind::Shift,
            "dedupe" => Kind::Dedupe,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Exclude => "exclude",
            Kind::Include => "include",
            Kind::Adjust => "adjust",
            Kind::Shift => "shift",
            Kind::Dedupe => "dedupe",
        }
    }
}
