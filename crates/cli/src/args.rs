//! The command line, as clap parses it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "porchlight",
    version,
    about = "Porchlight neighbourhood watch, from the terminal"
)]
pub struct Cli {
    /// Where this device keeps its key and data [default: the platform's data directory]
    #[arg(long, global = true, env = "PORCHLIGHT_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print machine-readable JSON instead of text
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Set up this device: create its key and set the name others see
    Init {
        #[arg(long)]
        name: String,
        /// Also create a group with this device as its coordinator
        #[arg(long)]
        group: Option<String>,
    },
    /// Show this device's id, public key and Automerge actor id
    Whoami,
    /// Issue, list and cancel alerts
    #[command(subcommand)]
    Alert(AlertCmd),
    /// Your private watch areas (they never leave this device)
    #[command(subcommand)]
    Area(AreaCmd),
    /// Log a patrol: start, record GPS fixes and notes, end
    #[command(subcommand)]
    Patrol(PatrolCmd),
    /// Your private places (home): shared patrol tracks leave them out; they never leave this device
    #[command(subcommand)]
    Zone(ZoneCmd),
    /// File and list reports
    #[command(subcommand)]
    Report(ReportCmd),
    /// The group's partners (police liaison, schools, businesses, ...): list; add, edit and
    /// remove (coordinators)
    #[command(subcommand)]
    Partner(PartnerCmd),
    /// Anonymous drop tokens (coordinators): print sheets for people who are not members
    #[command(subcommand)]
    Tokens(TokensCmd),
    /// The group's offline map: import a package (coordinators), show how far this device has it
    #[command(subcommand)]
    Map(MapCmd),
    /// Set a report's triage status (coordinators)
    Triage {
        /// The report id
        id: String,
        #[arg(long)]
        status: String,
        /// Shown to the reporter too, when published
        #[arg(long)]
        note: Option<String>,
        /// Publish the status (and note) back to the reporter, who sees it through their receipt
        #[arg(long)]
        publish: bool,
    },
    /// Export alerts, patrols or reports as CSV or GeoJSON
    Export {
        #[arg(long, value_enum)]
        kind: KindArg,
        #[arg(long, value_enum)]
        format: FormatArg,
        #[arg(long)]
        out: PathBuf,
    },
    /// Search the text of alerts, patrols and reports
    Search { text: String },
    /// Counts for the group's overview; with --from and --to, the measures of success of that
    /// period (patrol hours, coverage, response times, attendance, trend)
    Stats {
        /// Start of the period: a date (2026-06-01, midnight UTC) or an RFC 3339 time
        #[arg(long, requires = "to")]
        from: Option<String>,
        /// End of the period, not included (2026-07-01 ends with 30 June)
        #[arg(long, requires = "from")]
        to: Option<String>,
        /// Only this named zone of the group
        #[arg(long, requires = "from")]
        zone: Option<String>,
        /// Trend steps
        #[arg(long, value_enum, default_value = "week")]
        by: StepArg,
    },
    /// Where and when reports cluster (coordinators); cells and hours under the group's k
    /// threshold are never shown
    Hotspots {
        /// From this time (RFC 3339)
        #[arg(long)]
        from: Option<String>,
        /// Until this time (RFC 3339)
        #[arg(long)]
        to: Option<String>,
        /// A stricter threshold than the group's
        #[arg(long)]
        k: Option<u32>,
        /// Grid cell side in metres
        #[arg(long, default_value_t = 250.0)]
        cell: f64,
        #[arg(long)]
        category: Option<String>,
        /// Also write the cells as GeoJSON to this file
        #[arg(long)]
        geojson: Option<PathBuf>,
    },
    /// The meeting summary of a period (coordinators): key numbers beside the previous period,
    /// trend charts, the hotspot map and heat map under the group's k, as a printable PDF or a
    /// self-contained HTML page (by the extension of --out); made here, sent nowhere
    Summary {
        /// Start of the period: a date (2026-06-01, midnight UTC) or an RFC 3339 time
        #[arg(long)]
        from: String,
        /// End of the period, not included (2026-07-01 ends with 30 June)
        #[arg(long)]
        to: String,
        /// Only this named zone of the group
        #[arg(long)]
        zone: Option<String>,
        /// Language of the summary
        #[arg(long, value_enum, default_value = "en")]
        lang: LangArg,
        /// The file to write: NAME.pdf or NAME.html
        #[arg(long)]
        out: PathBuf,
    },
    /// Fill this device with a demo neighbourhood
    Demo {
        /// About this many records (alerts, patrols, reports) instead of the usual 460, for
        /// trying the app with a large group
        #[arg(long)]
        records: Option<usize>,
    },
    /// Print a commented example config.toml
    DefaultConfig,
    /// Create a group on a sync server, with this device as its coordinator
    #[command(subcommand)]
    Group(GroupCmd),
    /// Make an invite code (and QR code) for a new member (coordinators)
    Invite {
        #[arg(long, default_value = "resident")]
        role: String,
        /// How many devices may join with it
        #[arg(long, default_value_t = 1)]
        uses: u32,
        /// How long it stays valid: 30m, 12h, 7d, 2w
        #[arg(long, default_value = "7d")]
        expires: String,
        /// Also save the QR code as a PNG image here
        #[arg(long)]
        png: Option<PathBuf>,
    },
    /// Join a group with an invite code
    Join {
        code: String,
        #[arg(long)]
        name: String,
    },
    /// List or revoke the group's member devices (coordinators)
    #[command(subcommand)]
    Member(MemberCmd),
    /// Sync with the group's server: keeps going (live) until Ctrl-C, or once with --once
    Sync {
        #[arg(long)]
        once: bool,
    },
    /// Sync status and the receipt two devices in sync show identically
    Status,
    /// Serve this coordinator's group on the local network and relay it to the group's
    /// community server whenever it can be reached; with --standalone, be the group's only
    /// server (a group started on this computer: docs/HUB.md)
    Hub {
        /// Serve a group that lives on this computer, with no community server behind it
        #[arg(long)]
        standalone: bool,
        /// Start a new group with this name on this computer, this device its coordinator
        #[arg(long, requires = "standalone")]
        group: Option<String>,
        /// The hub's own database (default: hub.db in the data directory)
        #[arg(long)]
        db: Option<String>,
        /// Address to listen on, e.g. 0.0.0.0:8471
        #[arg(long)]
        listen: Option<String>,
        /// The address devices on the local network reach the hub at, e.g.
        /// https://192.168.1.20:8471: invites made on this device carry it from now on
        #[arg(long)]
        url: Option<String>,
        /// Server settings file (TOML), as for `serve`; PORCHLIGHT_* variables override it
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Run a sync server
    Serve {
        /// Database URL: sqlite:///var/lib/porchlight/server.db, or postgres://USER@HOST/DB for
        /// several instances sharing one database (docs/OPERATIONS.md)
        #[arg(long)]
        db: Option<String>,
        /// Address to listen on, e.g. 0.0.0.0:8470
        #[arg(long)]
        listen: Option<String>,
        /// Settings file (TOML); PORCHLIGHT_* environment variables override it
        #[arg(long)]
        config: Option<PathBuf>,
        /// Print a commented example server settings file and exit
        #[arg(long)]
        default_config: bool,
        /// Make the self-signed certificate if there is none yet (or read the operator's),
        /// print its SHA-256 fingerprint for invites and exit, without serving
        #[arg(long, conflicts_with = "default_config")]
        print_fingerprint: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum GroupCmd {
    Create {
        /// The sync server's URL, e.g. https://watch.example.org
        #[arg(long)]
        server: String,
        #[arg(long)]
        name: String,
        /// The server operator's group creation token (servers refuse new groups without it
        /// unless they let anyone create them)
        #[arg(long, env = "PORCHLIGHT_CREATION_TOKEN", hide_env_values = true)]
        creation_token: Option<String>,
        /// The SHA-256 fingerprint `porchlight serve` printed, for a server with a self-signed
        /// certificate: this device and everyone it invites accept that certificate only.
        /// Leave it out for a server whose certificate a public CA signed.
        #[arg(long)]
        fingerprint: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MemberCmd {
    List,
    /// Remove a device from the group; the server refuses it from now on
    Revoke {
        device: String,
    },
}

#[derive(Debug, Subcommand)]
// Parsed once per run: the size of the largest variant costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
pub enum AlertCmd {
    /// Issue an alert for a circle (--at, --radius) or a polygon (--polygon)
    Issue {
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        body: String,
        #[command(flatten)]
        area: AreaArgs,
        /// Vertices as "LAT,LON LAT,LON LAT,LON ..." (instead of --at/--radius)
        #[arg(long, conflicts_with_all = ["at", "radius"])]
        polygon: Option<String>,
        #[arg(long, default_value = "info")]
        severity: String,
        #[arg(long, default_value = "other")]
        category: String,
        /// A duration (90m, 2h, 3d, 1w) or an RFC 3339 time
        #[arg(long)]
        expires: Option<String>,
        /// For --category meeting: when it starts (RFC 3339)
        #[arg(long, requires = "place")]
        starts: Option<String>,
        /// For --category meeting: where
        #[arg(long, requires = "starts")]
        place: Option<String>,
        #[command(flatten)]
        person: PersonArgs,
    },
    /// Acknowledge an alert ("seen it")
    Ack { id: String },
    /// How many acknowledged an alert, and how soon (volunteers, coordinators)
    Acks { id: String },
    /// Sync live and print alerts touching my watch areas as they arrive (Ctrl-C stops)
    Watch,
    /// Upcoming community meetings; --ics saves them as a calendar file
    Meetings {
        #[arg(long)]
        ics: Option<PathBuf>,
    },
    /// List live alerts, newest first
    List {
        /// Only alerts touching the circle around this point (with --within)
        #[arg(long, requires = "within")]
        near: Option<String>,
        /// Radius in metres for --near
        #[arg(long, requires = "near")]
        within: Option<f64>,
        /// Only alerts touching my watch areas
        #[arg(long, conflicts_with = "near")]
        mine: bool,
        /// Include expired and cancelled alerts
        #[arg(long)]
        all: bool,
    },
    /// Record how many came to a past meeting, and optionally which members (coordinators)
    Attendance {
        /// The meeting's alert id
        id: String,
        /// How many people came (members or not)
        #[arg(long)]
        count: u32,
        /// A member who came: device id or display name (repeatable)
        #[arg(long = "member")]
        members: Vec<String>,
    },
    /// Cancel an alert
    Cancel { id: String },
    /// Close an alert with how it ended; residents who were told of it hear the outcome
    Close {
        id: String,
        /// all-clear, resolved or false-alarm
        #[arg(long)]
        outcome: String,
    },
    /// Approve an alert that describes a person (coordinators; it reaches residents once two
    /// coordinators have approved it)
    Approve { id: String },
}

/// Describing a person, behaviour first: what they did, then at least two details other than
/// race or ethnicity.
#[derive(Debug, Args)]
pub struct PersonArgs {
    /// What the person did (required to describe a person)
    #[arg(long = "person-did", value_name = "TEXT")]
    pub did: Option<String>,
    /// A distinguishing detail as KIND:TEXT (clothing, vehicle, direction, build, hair,
    /// carrying, other); repeat for more
    #[arg(long = "person-detail", value_name = "KIND:TEXT", requires = "did")]
    pub details: Vec<String>,
}

#[derive(Debug, Args)]
pub struct AreaArgs {
    /// Centre as LAT,LON
    #[arg(long)]
    pub at: Option<String>,
    /// Radius in metres (10 to 50,000)
    #[arg(long)]
    pub radius: Option<f64>,
}

#[derive(Debug, Subcommand)]
pub enum AreaCmd {
    /// Add or replace a watch area
    Set {
        name: String,
        #[arg(long)]
        at: String,
        #[arg(long)]
        radius: f64,
    },
    List,
    Remove {
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ZoneCmd {
    /// Add or replace a private place
    Set {
        name: String,
        /// LAT,LON of its centre
        #[arg(long)]
        at: String,
        /// Metres around it (50 to 2000)
        #[arg(long, default_value_t = 150.0)]
        radius: f64,
    },
    List,
    Remove {
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PatrolCmd {
    Start {
        #[arg(long)]
        title: String,
    },
    /// Record a GPS fix on the running patrol
    Fix {
        /// LAT,LON
        point: String,
        /// When it was taken (RFC 3339) [default: now]
        #[arg(long)]
        at: Option<String>,
        /// Horizontal accuracy in metres
        #[arg(long)]
        accuracy: Option<f32>,
    },
    /// Add an observation to the running patrol
    Note {
        text: String,
        #[arg(long, default_value = "other")]
        category: String,
        /// Where, as LAT,LON
        #[arg(long)]
        at: Option<String>,
        /// A photo to attach (JPEG, PNG or WebP); repeat for more. Metadata is stripped.
        #[arg(long = "photo", value_name = "FILE")]
        photos: Vec<PathBuf>,
    },
    End,
    List {
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    Show {
        id: String,
    },
    /// Check in on the running patrol ("I'm OK"); with --every, start a check-in timer
    /// (coordinators are alerted when a check-in is missed)
    CheckIn {
        /// Interval, like 15m or 1h (5 minutes to 4 hours)
        #[arg(long)]
        every: Option<String>,
        /// Stop the check-in timer
        #[arg(long, conflicts_with = "every")]
        stop: bool,
    },
    /// Call for help: the coordinators and patrol partners get an urgent alarm with your position
    Sos {
        /// Where you are, as LAT,LON
        #[arg(long)]
        at: Option<String>,
        /// Withdraw your call (you are safe)
        #[arg(long, conflicts_with = "at")]
        withdraw: bool,
    },
    /// Patrols whose walkers may need help now (SOS calls, missed check-ins)
    Alarms,
}

#[derive(Debug, Subcommand)]
pub enum ReportCmd {
    /// File a report
    File {
        #[arg(long)]
        category: String,
        #[arg(long)]
        text: String,
        /// Where, as LAT,LON
        #[arg(long)]
        at: Option<String>,
        /// How precisely to keep the location: exact, 100m or 1km
        #[arg(long, default_value = "100m", requires = "at")]
        precision: String,
        /// A photo to attach (JPEG, PNG or WebP); repeat for more. Metadata is stripped.
        #[arg(long = "photo", value_name = "FILE")]
        photos: Vec<PathBuf>,
        /// File without your name: nothing in what is sent links the report to this device
        #[arg(long)]
        anonymous: bool,
        #[command(flatten)]
        person: PersonArgs,
        /// File as someone who is not a member, with a code from a coordinator's token sheet
        /// (always anonymous, sent at once, no photos, no receipt)
        #[arg(long, value_name = "CODE", conflicts_with_all = ["photos", "anonymous"])]
        token_code: Option<String>,
    },
    /// List reports as cases with their status, priority and assignee (coordinators)
    List {
        #[arg(long)]
        status: Option<String>,
        /// Only cases assigned to this member (name or device id)
        #[arg(long)]
        assignee: Option<String>,
        /// Only cases of this priority: low, normal, high or urgent
        #[arg(long)]
        priority: Option<String>,
        /// Only open cases past the group's time for their priority
        #[arg(long)]
        overdue: bool,
        /// Also list reports merged into another case
        #[arg(long)]
        include_merged: bool,
    },
    /// Assign a case to a coordinator or volunteer of the group (coordinators)
    Assign {
        id: String,
        /// The member's name or device id
        #[arg(long, required_unless_present = "nobody")]
        to: Option<String>,
        /// Take the case away from whoever has it
        #[arg(long, conflicts_with = "to")]
        nobody: bool,
    },
    /// Set a case's priority: low, normal, high or urgent (coordinators)
    Priority { id: String, priority: String },
    /// Close (or dismiss) a case with its outcome: resolved, referred, no_further_action or
    /// not_an_incident (coordinators)
    Close {
        id: String,
        #[arg(long)]
        outcome: Option<String>,
        /// Dismiss instead of close
        #[arg(long)]
        dismiss: bool,
        #[arg(long)]
        note: Option<String>,
        /// Publish the status (and note) back to the reporter
        #[arg(long)]
        publish: bool,
    },
    /// Who changed what in a case, and when (coordinators)
    History { id: String },
    /// Open reports that look like the same incident (same category, within 200 m and 2 hours)
    Duplicates {
        /// Only the suggestions for this report
        id: Option<String>,
    },
    /// Merge a duplicate report into another report's case (coordinators)
    Merge {
        /// The duplicate
        id: String,
        /// The case it joins
        #[arg(long)]
        into: String,
    },
    /// Take a merged report out of its case again (coordinators)
    Unmerge { id: String },
    /// Show the group's overdue times per priority, or set one (coordinators)
    Due {
        #[arg(long, requires = "hours")]
        priority: Option<String>,
        #[arg(long, requires = "priority")]
        hours: Option<u32>,
    },
    /// Forward a report to a partner: write a printable HTML page and a GeoJSON file (photos
    /// included, never who reported it) into DIR and record it in the case (coordinators)
    Forward {
        id: String,
        /// The partner's id or name (see `partner list`)
        #[arg(long)]
        partner: String,
        /// The folder to write the two files into (made if missing)
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Read one report (coordinators)
    Show {
        id: String,
        /// Save the report's photos as JPEG files in this directory
        #[arg(long, value_name = "DIR")]
        save_photos: Option<PathBuf>,
    },
    /// The reports you filed, with the status coordinators published back
    Receipts {
        /// Show what is known here without asking the server
        #[arg(long)]
        offline: bool,
    },
    /// Add a note to a report you filed (anonymous if the report was)
    Followup {
        /// The report id from `report receipts`
        id: String,
        #[arg(long)]
        text: String,
    },
    /// Delete every report you filed (words, photos, statuses) from this device for good
    Forget {
        /// Also delete reports that have not been sent yet (they then never reach anyone)
        #[arg(long)]
        include_unsent: bool,
    },
}

/// A partner's details; on `edit`, what is given replaces what was there (any contact option
/// replaces all contacts).
#[derive(Debug, Args)]
pub struct PartnerArgs {
    /// police_liaison, local_leader, school, business, service_organisation or other
    #[arg(long)]
    pub kind: Option<String>,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub organisation: Option<String>,
    /// A phone number; repeat for more
    #[arg(long)]
    pub phone: Vec<String>,
    /// An e-mail address; repeat for more
    #[arg(long)]
    pub email: Vec<String>,
    /// A postal address; repeat for more
    #[arg(long)]
    pub address: Vec<String>,
    /// A note on how to reach them ("front office, weekdays"); repeat for more
    #[arg(long)]
    pub note: Vec<String>,
    /// On `edit`: remove every contact
    #[arg(long)]
    pub no_contacts: bool,
}

#[derive(Debug, Subcommand)]
pub enum PartnerCmd {
    /// The group's partners
    List,
    /// Add a partner (needs --kind and --name)
    Add(PartnerArgs),
    /// Change a partner, by id or name
    Edit {
        partner: String,
        #[command(flatten)]
        details: PartnerArgs,
    },
    /// Remove a partner, by id or name (forwarded cases keep its name)
    Remove { partner: String },
}

#[derive(Debug, Subcommand)]
pub enum TokensCmd {
    /// Write a printable HTML page of token codes (one QR code each) to hand out
    Sheet {
        /// How many codes
        #[arg(long, default_value_t = 20)]
        count: usize,
        /// The HTML file to write
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum MapCmd {
    /// Import an MBTiles package (raster tiles, at most 64 MB) as the group's map; every
    /// member's device downloads it on its next syncs
    Import {
        /// The .mbtiles file
        file: PathBuf,
    },
    /// The group's map and how much of it is on this device
    Status,
    /// Write the demo neighbourhood's package (drawn from the street layout the project ships)
    DemoPackage {
        /// The .mbtiles file to write
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum KindArg {
    Alerts,
    Patrols,
    Reports,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FormatArg {
    Csv,
    Geojson,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StepArg {
    Week,
    Month,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LangArg {
    En,
    Es,
}
