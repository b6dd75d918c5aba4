//! The ledger model: record types (what a staff member did), ledgers (台账,
//! department views over records), their text templates, and the rows a
//! ledger shows for a set of records.

mod catalog;
mod filter;
mod period;
mod record;
mod template;
mod value;
mod view;

pub use catalog::{Catalog, TemplateError};
pub use filter::{Filter, FilterError};
pub use period::{PeriodError, parse_period, period_label};
pub use record::{Record, RecordState, Resident};
pub use template::{
    Column, FieldSpec, FieldType, Governance, GovernanceStatus, Layout, Ledger, Orientation,
    Period, PrintSettings, RecordType, Source,
};
pub use value::{
    FieldValues, ValueError, check_value, check_values, display_value, id_number_is_valid,
    is_phone_number, missing_required,
};
pub use view::{LedgerRow, LedgerRows, ledger_rows, ledgers_containing, record_date};
