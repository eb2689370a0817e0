//! Entity types, findings and severities.

use serde::Serialize;

macro_rules! pii_types {
    ($($variant:ident => $name:literal, $severity:ident, $comprehend:literal;)*) => {
        /// A built-in entity type. Names are Amazon Comprehend's `PiiEntityType`
        /// values; `PRIVATE_KEY` and `API_TOKEN` are Macie's credential
        /// identifiers, which Comprehend does not report.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum PiiType {
            $($variant,)*
        }

        impl PiiType {
            /// Every type, in declaration order.
            pub const ALL: &'static [PiiType] = &[$(PiiType::$variant,)*];

            /// The type's name as Comprehend (or Macie) spells it.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $(PiiType::$variant => $name,)*
                }
            }

            /// The type named `name` (Comprehend's spelling).
            #[must_use]
            pub fn from_name(name: &str) -> Option<PiiType> {
                match name {
                    $($name => Some(PiiType::$variant),)*
                    _ => None,
                }
            }

            /// Whether Comprehend's `DetectPiiEntities` reports this type.
            #[must_use]
            pub fn is_comprehend(self) -> bool {
                match self {
                    $(PiiType::$variant => $comprehend,)*
                }
            }

            /// Severity of one occurrence, in Macie's three levels.
            #[must_use]
            pub fn severity(self) -> Severity {
                match self {
                    $(PiiType::$variant => Severity::$severity,)*
                }
            }

            pub(crate) fn bit(self) -> u64 {
                1u64 << (self as u32)
            }
        }
    };
}

pii_types! {
    BankAccountNumber => "BANK_ACCOUNT_NUMBER", High, true;
    BankRouting => "BANK_ROUTING", Medium, true;
    CreditDebitNumber => "CREDIT_DEBIT_NUMBER", High, true;
    CreditDebitCvv => "CREDIT_DEBIT_CVV", High, true;
    CreditDebitExpiry => "CREDIT_DEBIT_EXPIRY", Medium, true;
    Pin => "PIN", High, true;
    Email => "EMAIL", Medium, true;
    Address => "ADDRESS", Medium, true;
    Name => "NAME", Medium, true;
    Phone => "PHONE", Medium, true;
    Ssn => "SSN", High, true;
    DateTime => "DATE_TIME", Low, true;
    PassportNumber => "PASSPORT_NUMBER", High, true;
    DriverId => "DRIVER_ID", High, true;
    Url => "URL", Low, true;
    Age => "AGE", Low, true;
    Username => "USERNAME", Medium, true;
    Password => "PASSWORD", High, true;
    AwsAccessKey => "AWS_ACCESS_KEY", High, true;
    AwsSecretKey => "AWS_SECRET_KEY", High, true;
    IpAddress => "IP_ADDRESS", Low, true;
    MacAddress => "MAC_ADDRESS", Low, true;
    LicensePlate => "LICENSE_PLATE", Medium, true;
    VehicleIdentificationNumber => "VEHICLE_IDENTIFICATION_NUMBER", Medium, true;
    UkNationalInsuranceNumber => "UK_NATIONAL_INSURANCE_NUMBER", High, true;
    CaSocialInsuranceNumber => "CA_SOCIAL_INSURANCE_NUMBER", High, true;
    UsIndividualTaxIdentificationNumber => "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", High, true;
    UkUniqueTaxpayerReferenceNumber => "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER", High, true;
    InPermanentAccountNumber => "IN_PERMANENT_ACCOUNT_NUMBER", High, true;
    InNrega => "IN_NREGA", High, true;
    InternationalBankAccountNumber => "INTERNATIONAL_BANK_ACCOUNT_NUMBER", High, true;
    SwiftCode => "SWIFT_CODE", Medium, true;
    UkNationalHealthServiceNumber => "UK_NATIONAL_HEALTH_SERVICE_NUMBER", High, true;
    CaHealthNumber => "CA_HEALTH_NUMBER", High, true;
    InAadhaar => "IN_AADHAAR", High, true;
    InVoterNumber => "IN_VOTER_NUMBER", High, true;
    PrivateKey => "PRIVATE_KEY", High, false;
    ApiToken => "API_TOKEN", High, false;
}

/// Macie's severity levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

impl Severity {
    /// `LOW`, `MEDIUM` or `HIGH`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
        }
    }

    /// Parses `low`/`medium`/`high` in any case.
    #[must_use]
    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_uppercase().as_str() {
            "LOW" => Some(Severity::Low),
            "MEDIUM" => Some(Severity::Medium),
            "HIGH" => Some(Severity::High),
            _ => None,
        }
    }
}

/// What a finding is: a built-in type or the n-th custom identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Label {
    /// A built-in type.
    Pii(PiiType),
    /// Index into the detector's custom identifiers.
    Custom(usize),
}

/// One detected entity: its label, a confidence in `[0, 1]`, and its byte
/// offsets in the text (`end` exclusive).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Finding {
    /// What was found.
    pub label: Label,
    /// Confidence in `[0, 1]`.
    pub score: f32,
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
}

impl Finding {
    /// The built-in type, if this is not a custom identifier's finding.
    #[must_use]
    pub fn pii_type(&self) -> Option<PiiType> {
        match self.label {
            Label::Pii(t) => Some(t),
            Label::Custom(_) => None,
        }
    }
}
