//! Word lists the seed builds names from: small, fixed, and plain ASCII so
//! every name is a valid email local part or domain label once lower-cased.

pub const FIRST_NAMES: &[&str] = &[
    "Anna", "Ben", "Clara", "David", "Elena", "Felix", "Greta", "Hannah", "Ivan", "Julia", "Karl",
    "Lena", "Marco", "Nina", "Oscar", "Paula", "Quentin", "Rosa", "Stefan", "Tara", "Umar", "Vera",
    "Wim", "Xenia", "Yusuf", "Zoe", "Amir", "Bianca", "Chen", "Dara", "Emil", "Fatima", "Georg",
    "Hiro", "Ines", "Jonas", "Kemal", "Lucia", "Mia", "Noah", "Olga", "Pedro", "Rahel", "Sven",
    "Tomas", "Ulla", "Viktor", "Wanda", "Yara", "Zeno",
];

pub const LAST_NAMES: &[&str] = &[
    "Adams",
    "Becker",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Hoffmann",
    "Ivanova",
    "Jansen",
    "Kowalski",
    "Lopez",
    "Meyer",
    "Novak",
    "Olsen",
    "Petrov",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Vogel",
    "Weber",
    "Xu",
    "Young",
    "Zimmermann",
    "Berg",
    "Conti",
    "Dahl",
    "Engel",
    "Falk",
    "Graf",
    "Horn",
    "Jung",
    "Klein",
    "Lang",
    "Moser",
    "Nagel",
    "Ortiz",
    "Park",
    "Roth",
    "Sauer",
    "Thiel",
    "Urban",
    "Voss",
    "Wolf",
    "Yilmaz",
    "Ziegler",
    "Brandt",
    "Keller",
];

pub const TITLES: &[&str] = &[
    "CEO",
    "CTO",
    "CFO",
    "Head of IT",
    "IT Manager",
    "Procurement Lead",
    "Operations Director",
    "VP Sales",
    "Engineering Manager",
    "Finance Controller",
    "Project Manager",
    "Purchasing Agent",
];

/// First words of company names.
pub const COMPANY_FIRST: &[&str] = &[
    "Acme", "Apex", "Blue", "Bright", "Cedar", "Crest", "Delta", "Echo", "Falcon", "Granite",
    "Harbor", "Iron", "Juniper", "Keystone", "Lumen", "Maple", "Nimbus", "Nova", "Orbit", "Pine",
    "Quartz", "Redwood", "Silver", "Summit", "Terra", "Union", "Vector", "Willow", "Zenith",
    "Alpine", "Beacon", "Cobalt", "Drift", "Ember", "Fjord", "Glacier", "Helix", "Indigo", "Jade",
    "Kinetic",
];

/// Second words of company names.
pub const COMPANY_SECOND: &[&str] = &[
    "Analytics",
    "Bio",
    "Cloud",
    "Data",
    "Dynamics",
    "Energy",
    "Foods",
    "Health",
    "Industries",
    "Labs",
    "Logistics",
    "Machines",
    "Media",
    "Metals",
    "Motors",
    "Networks",
    "Optics",
    "Pharma",
    "Retail",
    "Robotics",
    "Software",
    "Solutions",
    "Systems",
    "Textiles",
    "Tools",
    "Travel",
    "Ventures",
    "Works",
    "Capital",
    "Chemicals",
];

/// Legal forms, with the top-level domain that goes with each.
pub const COMPANY_FORMS: &[(&str, &str)] = &[
    ("GmbH", "de"),
    ("AG", "de"),
    ("Inc", "com"),
    ("LLC", "com"),
    ("Ltd", "co.uk"),
    ("SA", "fr"),
    ("BV", "nl"),
    ("AB", "se"),
];

pub const CITIES: &[&str] = &[
    "Berlin",
    "Munich",
    "Hamburg",
    "Vienna",
    "Zurich",
    "Paris",
    "Lyon",
    "Madrid",
    "Milan",
    "Amsterdam",
    "Oslo",
    "Stockholm",
    "Dublin",
    "London",
    "Boston",
    "Austin",
    "Denver",
    "Toronto",
    "Warsaw",
    "Prague",
];

pub const INDUSTRIES: &[&str] = &[
    "Manufacturing",
    "Retail",
    "Healthcare",
    "Finance",
    "Logistics",
    "Energy",
    "Software",
    "Telecommunications",
    "Public Sector",
    "Education",
    "Automotive",
    "Chemicals",
];

/// Product families with the unit one of quantity 1 is and a list price
/// range in EUR (whole euros).
pub const PRODUCT_FAMILIES: &[(&str, &str, i64, i64)] = &[
    ("Analytics Seat", "seat", 20, 120),
    ("Platform License", "month", 200, 4_000),
    ("Consulting Day", "day", 800, 1_800),
    ("Support Hour", "hour", 90, 220),
    ("Storage Block", "each", 15, 90),
    ("Integration Package", "each", 2_000, 25_000),
    ("Training Course", "each", 400, 3_000),
    ("Edge Device", "each", 150, 1_500),
    ("Security Audit", "each", 5_000, 40_000),
    ("API Calls 1M", "each", 30, 300),
];

pub const PRODUCT_TIERS: &[&str] = &[
    "Basic",
    "Standard",
    "Professional",
    "Enterprise",
    "Premium",
    "Lite",
    "Plus",
    "Ultimate",
    "Starter",
    "Team",
    "Business",
    "Global",
    "Regional",
    "Express",
    "Advanced",
    "Core",
    "Max",
    "Pro",
    "One",
    "Flex",
];

pub const LOST_REASONS: &[&str] = &[
    "price too high",
    "went with a competitor",
    "no budget this year",
    "project cancelled",
    "no decision",
];

pub const DISQUALIFY_REASONS: &[&str] = &[
    "no budget",
    "student or private person",
    "competitor",
    "wrong region",
    "no response after five attempts",
];

/// `Acme Data GmbH` → `acmedata`: the label a domain is made from.
pub fn slug(words: &[&str]) -> String {
    words
        .iter()
        .flat_map(|w| w.chars())
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}
