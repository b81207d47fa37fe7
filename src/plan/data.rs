//! A group's test data (`data = "users.csv"` or `[group.data]`): a CSV file
//! whose header names the variables its rows give each user. The plan only
//! holds the settings; the runner reads the file (runner/data.rs).

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Which rows a user gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataPer {
    /// A new row for each iteration.
    #[default]
    Iteration,
    /// One row per user, kept for all its iterations.
    User,
}

/// In which order rows are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataOrder {
    /// Top to bottom (one cursor shared by the group's users).
    #[default]
    Sequential,
    /// A uniformly random row each time, from the run's seed.
    Random,
}

/// What happens past the last row (sequential order only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AtEnd {
    /// Start again at the first row.
    #[default]
    Wrap,
    /// Users stop starting iterations (they retire, and the verdict says so).
    Stop,
}

impl DataPer {
    /// The plan's own word for it.
    pub fn name(self) -> &'static str {
        match self {
            DataPer::Iteration => "iteration",
            DataPer::User => "user",
        }
    }
}

impl DataOrder {
    /// The plan's own word for it.
    pub fn name(self) -> &'static str {
        match self {
            DataOrder::Sequential => "sequential",
            DataOrder::Random => "random",
        }
    }
}

impl AtEnd {
    /// The plan's own word for it.
    pub fn name(self) -> &'static str {
        match self {
            AtEnd::Wrap => "wrap",
            AtEnd::Stop => "stop",
        }
    }
}

fn default_delimiter() -> String {
    ",".into()
}

fn is_comma(d: &str) -> bool {
    d == ","
}

/// `[group.data]`: where the rows are and how users take them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSection {
    /// The CSV file, relative to the plan file's folder; its first row is
    /// the header (the variable names).
    pub file: String,
    #[serde(default)]
    pub per: DataPer,
    #[serde(default)]
    pub order: DataOrder,
    #[serde(default)]
    pub at_end: AtEnd,
    /// One ASCII character [default: ","].
    #[serde(default = "default_delimiter", skip_serializing_if = "is_comma")]
    pub delimiter: String,
}

/// `data`: the file's name alone, or the whole table.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Data(pub DataSection);

impl<'de> Deserialize<'de> for Data {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Data;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a CSV file's name such as \"users.csv\", or a table such as { file = \"users.csv\", per = \"user\" }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Data, E> {
                Ok(Data(DataSection {
                    file: v.to_string(),
                    per: DataPer::default(),
                    order: DataOrder::default(),
                    at_end: AtEnd::default(),
                    delimiter: default_delimiter(),
                }))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Data, A::Error> {
                table_form(map).map(Data)
            }
        }
        d.deserialize_any(V)
    }
}

/// Marks the field an error of a table form is about: `\u{1}FIELD\u{1}`
/// ahead of the message, turned into the key's last part by
/// [`super::file::PlanFile::parse`] (`group[0].data.per`).
pub(super) const FIELD_MARK: char = '\u{1}';

/// Deserializes `T` from a table read through a hand-written visitor
/// (which loses the fields' own places), naming the field that failed.
pub(super) fn table_form<'de, T: Deserialize<'de>, A: MapAccess<'de>>(
    map: A,
) -> Result<T, A::Error> {
    let mut last = None;
    let keyed = Keyed {
        inner: map,
        last: &mut last,
    };
    T::deserialize(de::value::MapAccessDeserializer::new(keyed)).map_err(|e| {
        let text = e.to_string();
        match last {
            Some(k) if !text.starts_with("missing field") => {
                de::Error::custom(format!("{FIELD_MARK}{k}{FIELD_MARK}{text}"))
            }
            _ => e,
        }
    })
}

/// A map that remembers the last key it handed out.
struct Keyed<'a, A> {
    inner: A,
    last: &'a mut Option<String>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Keyed<'_, A> {
    type Error = A::Error;
    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match self.inner.next_key::<String>()? {
            None => Ok(None),
            Some(k) => {
                *self.last = Some(k.clone());
                seed.deserialize(de::value::StringDeserializer::<A::Error>::new(k))
                    .map(Some)
            }
        }
    }
    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, A::Error> {
        self.inner.next_value_seed(seed)
    }
}

impl DataSection {
    /// The delimiter as the CSV reader takes it.
    pub fn delimiter_byte(&self) -> u8 {
        self.delimiter.as_bytes().first().copied().unwrap_or(b',')
    }

    /// The checks that need no file; errors name the key.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if self.file.trim().is_empty() {
            return Err(("file", "must not be empty".into()));
        }
        let d = self.delimiter.as_bytes();
        if d.len() != 1 || !d[0].is_ascii() || matches!(d[0], b'"' | b'\n' | b'\r') {
            return Err((
                "delimiter",
                format!(
                    "{} is not one ASCII character other than a quote or a line break",
                    crate::visible::quoted(&self.delimiter)
                ),
            ));
        }
        Ok(())
    }
}

/// True for a name `${name}` can use: a letter or `_`, then letters,
/// digits or `_`.
pub fn is_variable_name(name: &str) -> bool {
    let mut c = name.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Holder {
        data: Data,
    }

    fn data(text: &str) -> Result<DataSection, String> {
        toml::from_str::<Holder>(&format!("data = {text}"))
            .map(|h| h.data.0)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn the_shorthand_is_the_file_with_the_defaults() {
        let d = data("\"users.csv\"").unwrap();
        assert_eq!(d.file, "users.csv");
        assert_eq!(
            (d.per, d.order, d.at_end, d.delimiter_byte()),
            (DataPer::Iteration, DataOrder::Sequential, AtEnd::Wrap, b',')
        );
        let d = data("{ file = \"u.csv\", per = \"user\", order = \"random\", at_end = \"stop\", delimiter = \";\" }").unwrap();
        assert_eq!(
            (d.per, d.order, d.at_end, d.delimiter_byte()),
            (DataPer::User, DataOrder::Random, AtEnd::Stop, b';')
        );
    }

    #[test]
    fn an_unknown_key_lists_the_keys() {
        let e = data("{ file = \"u.csv\", rows = 3 }").unwrap_err();
        assert!(e.contains("unknown field `rows`"), "{e}");
        assert!(
            e.contains("`file`, `per`, `order`, `at_end`, `delimiter`"),
            "{e}"
        );
        assert!(data("{ per = \"user\" }").unwrap_err().contains("file"));
    }

    #[test]
    fn delimiters_and_names_are_checked() {
        let mut d = data("\"u.csv\"").unwrap();
        d.delimiter = "ab".into();
        assert_eq!(d.check().unwrap_err().0, "delimiter");
        d.delimiter = "\t".into();
        assert!(d.check().is_ok());
        assert!(is_variable_name("user_1"));
        assert!(!is_variable_name("1user"));
        assert!(!is_variable_name("user name"));
        assert!(!is_variable_name(""));
    }
}
