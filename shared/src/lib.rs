//! Types, templates and document schema shared by the Kortvæg server and its tests.
//!
//! - [`answer`]: the answer kinds, each with its closed list of values once (`ja`/`nej`,
//!   `lav`/`middel`/`hoej`, `0`/`A`–`E`, `1`–`4`), and how a stored answer is read.
//! - [`question`]: a room's question (a row of the control document) read once into typed
//!   values: number, round, kind, fields, role in the analysis.
//! - [`api`]: the JSON bodies of the REST API (`/api/...`), as the server sends and the tests read them.
//! - [`requests`]: the REST API's JSON request bodies read and checked (room title, seat name),
//!   with the `400` message of what is refused.
//! - [`template`]: workshop templates (a question guide as rows × fagområder as columns), loaded from
//!   the JSON files in `shared/templates/`.
//! - [`schema`]: the names of the root types of the wall and control documents, and how a new room's
//!   control document is laid out.
//! - [`gate`]: the schema gate every client update passes before it touches a document.
//! - [`groups`]: group documents (v2): who may read them while group work is private, and the
//!   room read as one wall (the wall document merged with the group documents).
//! - [`restore`]: rolling a document back to a snapshot as an ordinary change.
//! - [`projection`]: reading a wall/control document pair into plain data (cards, rows, columns) for
//!   snapshots and the documentation sheet.
//! - [`sheet`]: the documentation sheet as rows of strings, with spreadsheet-formula neutralising.
//! - [`stored`]: a document from its stored state and log (what does not load is set aside), and
//!   whether a compaction's state loads back.
//! - [`trees`]: decision trees as data (`shared/trees/*.json`): the brugsmønster model (R2).
//! - [`analysis`]: the documentation sheet per sagsområde (structured answers) and the
//!   prioritisation derived from it: brugerantal, omfang, prioritet, summaries.
//! - [`cells`]: how the cards and the structured answers become the sheet's cells (one set of
//!   answers: the wall's cards are the sheet's answers).
//! - [`compare`]: two states of a room (snapshots, or a snapshot and now) compared: per cell the
//!   cards added, removed, changed, moved; per sagsområde the answers old → new.
//! - [`screening`]: importing a screening list (fagområde, sagsområde, KLE, anvendes) into a room:
//!   reading its rows and planning which columns and sagsområder to add.
//! - [`screening_file`]: a screening list file, CSV or XLSX, read into rows of cells, within limits.
//!
//! Everything here is plain functions over plain data: no server, no socket, no store.

pub mod analysis;
pub mod anonymity;
pub mod answer;
pub mod api;
pub mod cells;
pub mod compare;
pub mod gate;
pub mod groups;
pub mod projection;
pub mod question;
pub mod requests;
pub mod restore;
pub mod schema;
pub mod screening;
pub mod screening_file;
pub mod sheet;
pub mod stored;
pub mod template;
pub mod trees;
pub mod voting;

pub use api::Role;
pub use template::{Template, TemplateError, Templates};
