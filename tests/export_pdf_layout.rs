//! Paper ledgers: page layout, Chinese line breaking, page breaks with
//! repeated headings, empty periods, record cards and missing fonts.

mod export_support;

use export_support::*;
use voice_ledger::export::write_pdf;
use voice_ledger::ledger::Catalog;

#[test]
fn smoke() {
    let catalog = Catalog::builtin();
    let records = visits(40);
    let header = header();
    let fonts = fonts();
    let dir = scratch("smoke");
    for ledger in ["visit-general", "bp-register", "concerns-log", "elderly-visit"] {
        let rows = rows_for(&catalog, ledger, &records);
        let path = dir.join(format!("{ledger}.pdf"));
        let t = std::time::Instant::now();
        let out = write_pdf(&export(&catalog, ledger, &rows, &header), &fonts, &path).unwrap();
        eprintln!("{ledger}: {} pages, {} bytes, {:?}", out.pages.len(), out.bytes.len(), t.elapsed());
        render_pngs(&path);
    }
}
