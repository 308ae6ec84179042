//! Describing a person in a report or an alert, behaviour first.
//!
//! Watch apps have harmed innocent people with alerts that described a "suspicious" person by
//! race alone. A description here starts with what the person did, and is accepted only with at
//! least two details that would tell this person apart from their neighbours other than race or
//! ethnicity: clothing, a vehicle, the direction they went, build, hair, what they carried.

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;
use crate::text;

/// The longest account of what the person did.
pub const BEHAVIOUR_MAX: usize = 500;
/// The longest single detail.
pub const DETAIL_MAX: usize = 120;
/// At most this many details.
pub const MAX_DETAILS: usize = 8;
/// Details needed besides race or ethnicity.
pub const MIN_DISTINGUISHING: usize = 2;

string_enum!(
    /// What a detail of a person description is about.
    DetailKind, "detail" {
        Clothing => "clothing",
        Vehicle => "vehicle",
        Direction => "direction",
        Build => "build",
        Hair => "hair",
        Carrying => "carrying",
        Other => "other",
    }
);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PersonDetail {
    pub kind: DetailKind,
    pub text: String,
}

/// A person as a report or alert describes them: first what they did, then how to tell them apart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PersonDescription {
    /// What the person did (required, and asked first).
    pub behaviour: String,
    pub details: Vec<PersonDetail>,
}

impl PersonDescription {
    /// Trims the texts, drops empty details, and refuses a description without an account of
    /// behaviour or with fewer than two details other than race or ethnicity.
    pub fn validate(mut self) -> Result<Self, ValidationError> {
        self.behaviour = text::required("behaviour", &self.behaviour, BEHAVIOUR_MAX)?;
        let mut details = Vec::with_capacity(self.details.len());
        for d in self.details {
            let text = text::at_most("detail", &d.text, DETAIL_MAX)?;
            if !text.is_empty() {
                details.push(PersonDetail { kind: d.kind, text });
            }
        }
        if details.len() > MAX_DETAILS {
            return Err(ValidationError::TooLong {
                field: "details",
                len: details.len(),
                max: MAX_DETAILS,
            });
        }
        // The same detail twice is one detail.
        let mut seen: Vec<String> = Vec::new();
        let distinguishing = details
            .iter()
            .filter(|d| {
                let norm = d.text.to_lowercase();
                let fresh = !seen.contains(&norm);
                seen.push(norm);
                fresh && distinguishes(&d.text)
            })
            .count();
        if distinguishing < MIN_DISTINGUISHING {
            return Err(ValidationError::PersonDetails { distinguishing });
        }
        self.details = details;
        Ok(self)
    }
}

/// Whether a detail says anything besides race, ethnicity, skin colour or words that only name a
/// person ("man", "young"). A word list is a blunt tool; it stops the plain "black man" or
/// "hispanic guy", and the guide beside the form explains the rest.
pub fn distinguishes(detail: &str) -> bool {
    detail
        .split(|c: char| !c.is_alphabetic())
        .map(str::to_lowercase)
        // Short words and numbers ("2", "a", "el") say nothing on their own.
        .filter(|w| w.chars().count() >= 3)
        .any(|w| !not_distinguishing(&w))
}

/// Whether `word` (lower case), or its singular, is on the list.
fn not_distinguishing(word: &str) -> bool {
    let singulars = [Some(word), word.strip_suffix("es"), word.strip_suffix('s')];
    singulars
        .into_iter()
        .flatten()
        .any(|w| NOT_DISTINGUISHING.contains(&w))
}

/// Words (English and Spanish, the app's languages) that do not tell one person from another
/// beyond race or ethnicity, plus articles and generic nouns for a person.
const NOT_DISTINGUISHING: &[&str] = &[
    // race, ethnicity, skin colour
    "black",
    "white",
    "brown",
    "asian",
    "hispanic",
    "latino",
    "latina",
    "latinx",
    "latine",
    "african",
    "american",
    "arab",
    "arabic",
    "caucasian",
    "indian",
    "native",
    "middle",
    "eastern",
    "mixed",
    "race",
    "skinned",
    "skin",
    "dark",
    "light",
    "pale",
    "tan",
    "ethnic",
    "foreign",
    "foreigner",
    "immigrant",
    "gypsy",
    "roma",
    "mexican",
    "chinese",
    "muslim",
    "negro",
    "negra",
    "moreno",
    "morena",
    "blanco",
    "blanca",
    "asiatico",
    "asiático",
    "asiatica",
    "asiática",
    "hispano",
    "hispana",
    "africano",
    "africana",
    "árabe",
    "gitano",
    "gitana",
    "extranjero",
    "extranjera",
    "inmigrante",
    "piel",
    "oscura",
    "oscuro",
    "clara",
    "claro",
    "raza",
    "étnico",
    "étnica",
    "mexicano",
    "mexicana",
    "moro",
    "mora",
    // generic nouns, articles and fillers
    "a",
    "an",
    "the",
    "of",
    "with",
    "and",
    "male",
    "female",
    "man",
    "men",
    "woman",
    "women",
    "guy",
    "guys",
    "person",
    "people",
    "someone",
    "kid",
    "kids",
    "teen",
    "teenager",
    "boy",
    "girl",
    "young",
    "old",
    "looking",
    "suspicious",
    "un",
    "una",
    "el",
    "la",
    "los",
    "las",
    "de",
    "con",
    "y",
    "hombre",
    "mujer",
    "chico",
    "chica",
    "persona",
    "joven",
    "tipo",
    "sospechoso",
    "sospechosa",
    "individuo",
    "señor",
    "señora",
    "dude",
    "individual",
    "adult",
    "youth",
    "minor",
    "adulto",
    "adulta",
    "niño",
    "niña",
    "two",
    "three",
    "dos",
    "tres",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn person(behaviour: &str, details: &[(DetailKind, &str)]) -> PersonDescription {
        PersonDescription {
            behaviour: behaviour.into(),
            details: details
                .iter()
                .map(|(kind, text)| PersonDetail {
                    kind: *kind,
                    text: (*text).into(),
                })
                .collect(),
        }
    }

    #[test]
    fn race_alone_is_refused_with_a_clear_message() {
        let err = person(
            "Tried car door handles along Elm St",
            &[
                (DetailKind::Other, "Black man"),
                (DetailKind::Other, "young hispanic guy"),
            ],
        )
        .validate()
        .unwrap_err();
        assert_eq!(err, ValidationError::PersonDetails { distinguishing: 0 });
        assert!(err.to_string().contains("at least 2"), "{err}");
        assert_eq!(err.field(), "person");
    }

    #[test]
    fn plurals_numbers_and_repeats_do_not_count() {
        let err = person(
            "Walked down the street",
            &[
                (DetailKind::Other, "two black males"),
                (DetailKind::Other, "hispanics 2"),
                (DetailKind::Clothing, "red jacket"),
                (DetailKind::Clothing, "Red jacket"),
            ],
        )
        .validate()
        .unwrap_err();
        assert_eq!(err, ValidationError::PersonDetails { distinguishing: 1 });
    }

    #[test]
    fn one_distinguishing_detail_is_not_enough() {
        let err = person(
            "Looked into parked cars",
            &[
                (DetailKind::Clothing, "red hooded jacket"),
                (DetailKind::Other, "hombre moreno"),
            ],
        )
        .validate()
        .unwrap_err();
        assert_eq!(err, ValidationError::PersonDetails { distinguishing: 1 });
    }

    #[test]
    fn behaviour_comes_first_and_is_required() {
        let err = person(
            "  ",
            &[
                (DetailKind::Clothing, "red jacket"),
                (DetailKind::Vehicle, "grey van"),
            ],
        )
        .validate()
        .unwrap_err();
        assert_eq!(err, ValidationError::Empty { field: "behaviour" });
    }

    #[test]
    fn two_real_details_pass_and_blank_ones_are_dropped() {
        let ok = person(
            " Tried car door handles ",
            &[
                (DetailKind::Clothing, "red hooded jacket, white trainers"),
                (DetailKind::Direction, " "),
                (DetailKind::Direction, "walked towards the park"),
            ],
        )
        .validate()
        .unwrap();
        assert_eq!(ok.behaviour, "Tried car door handles");
        assert_eq!(ok.details.len(), 2);
        // Race may be mentioned alongside, it just does not count.
        assert!(
            person(
                "Forzó la puerta de un coche",
                &[
                    (DetailKind::Other, "hombre blanco"),
                    (DetailKind::Clothing, "chaqueta verde"),
                    (DetailKind::Vehicle, "moto roja sin matrícula"),
                ],
            )
            .validate()
            .is_ok()
        );
    }

    #[test]
    fn too_many_details_are_refused() {
        let many: Vec<(DetailKind, &str)> = (0..9).map(|_| (DetailKind::Other, "tall")).collect();
        assert!(matches!(
            person("ran", &many).validate(),
            Err(ValidationError::TooLong {
                field: "details",
                ..
            })
        ));
    }
}
