//! CSV responses for spreadsheets: RFC 4180 quoting, and no cell a spreadsheet would run as a
//! formula.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// One CSV document: a header row and data rows.
pub struct Csv {
    out: String,
}

impl Csv {
    pub fn new(header: &[&str]) -> Csv {
        let mut c = Csv { out: String::new() };
        c.row(header.iter().copied());
        c
    }

    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) {
        for (i, cell) in cells.into_iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            push_cell(&mut self.out, cell);
        }
        self.out.push_str("\r\n");
    }

    pub fn into_response(self, filename: &str) -> Response {
        (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{filename}\""),
                ),
            ],
            self.out,
        )
            .into_response()
    }
}

fn push_cell(out: &mut String, cell: &str) {
    // A leading = + - @ makes spreadsheets evaluate the cell; numbers stay as they are.
    let formula = cell.starts_with(['=', '+', '@'])
        || (cell.starts_with('-') && cell.parse::<f64>().is_err());
    let quote = formula || cell.contains([',', '"', '\r', '\n']);
    if !quote {
        out.push_str(cell);
        return;
    }
    out.push('"');
    if formula {
        out.push('\'');
    }
    out.push_str(&cell.replace('"', "\"\""));
    out.push('"');
}

/// A number cell: empty for null.
pub fn num<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(cells: &[&str]) -> String {
        let mut c = Csv { out: String::new() };
        c.row(cells.iter().copied());
        c.out
    }

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(line(&["Z01", "0.93", "-1.5", ""]), "Z01,0.93,-1.5,\r\n");
        assert_eq!(
            line(&["a,b", "say \"hi\""]),
            "\"a,b\",\"say \"\"hi\"\"\"\r\n"
        );
    }

    #[test]
    fn formulas_are_defused() {
        assert_eq!(
            line(&["=1+1", "-x", "@SUM"]),
            "\"'=1+1\",\"'-x\",\"'@SUM\"\r\n"
        );
    }
}
