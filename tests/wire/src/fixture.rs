//! The push corpus under `tests/fixtures/push` (one file per kind, see its README): each file
//! is a documented sample behind a header naming its source, with `{{ToUserName}}`,
//! `{{FromUserName}}`, `{{CreateTime}}` and `{{MsgId}}` where each delivery needs fresh values.
//! This drops the header and fills the placeholders, leaving the rest byte for byte.

use super::Format;
use std::io;
use std::path::Path;

/// One corpus file.
#[derive(Clone, Debug)]
pub struct Fixture {
    /// The file name without its extension (`pic_weixin`).
    pub kind: String,
    pub format: Format,
    /// The body with its placeholders, header removed.
    pub template: String,
}

/// The values of one delivery.
pub struct Fill<'a> {
    pub to_user_name: &'a str,
    pub from_user_name: &'a str,
    pub create_time: u64,
    pub msg_id: u64,
}

impl Fixture {
    /// User messages carry a `MsgId`; events do not.
    pub fn is_message(&self) -> bool {
        self.template.contains("{{MsgId}}")
    }

    /// The body to send.
    pub fn fill(&self, fill: &Fill<'_>) -> String {
        self.template
            .replace("{{ToUserName}}", fill.to_user_name)
            .replace("{{FromUserName}}", fill.from_user_name)
            .replace("{{CreateTime}}", &fill.create_time.to_string())
            .replace("{{MsgId}}", &fill.msg_id.to_string())
    }
}

/// The body of a corpus file: an XML file's leading `<!-- … -->` and a JSON file's leading
/// `//` lines are the header; surrounding whitespace is trimmed.
pub fn strip_header(text: &str, format: Format) -> &str {
    let text = text.trim_start_matches('\u{feff}').trim_start();
    let body = match format {
        Format::Xml if text.starts_with("<!--") => match text.find("-->") {
            Some(end) => &text[end + 3..],
            None => "",
        },
        Format::Xml => text,
        Format::Json => {
            let mut rest = text;
            while rest.starts_with("//") {
                rest = rest.split_once('\n').map_or("", |(_, r)| r).trim_start();
            }
            rest
        }
    };
    body.trim()
}

/// Every `.xml` and `.json` file of a directory, by kind, the XML form first.
pub fn load_dir(dir: &Path) -> io::Result<Vec<Fixture>> {
    let mut fixtures = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let format = match path.extension().and_then(|e| e.to_str()) {
            Some("xml") => Format::Xml,
            Some("json") => Format::Json,
            _ => continue,
        };
        let kind = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
        let text = std::fs::read_to_string(&path)?;
        let template = strip_header(&text, format).to_string();
        fixtures.push(Fixture { kind, format, template });
    }
    fixtures.sort_by_key(|f| (f.kind.clone(), f.format == Format::Json));
    Ok(fixtures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_dropped_and_placeholders_filled() {
        let xml = "<!--\n  source: x\n-->\n<xml><A>{{CreateTime}}</A><B>{{MsgId}}</B></xml>\n";
        let json = "// source: x\n// more\n{\"A\": \"{{FromUserName}}\"}\n";
        let fill = Fill { to_user_name: "gh_1", from_user_name: "oUser", create_time: 7, msg_id: 9 };
        let fx = |format, text| Fixture { kind: "k".into(), format, template: strip_header(text, format).to_string() };
        assert_eq!(fx(Format::Xml, xml).fill(&fill), "<xml><A>7</A><B>9</B></xml>");
        assert_eq!(fx(Format::Json, json).fill(&fill), "{\"A\": \"oUser\"}");
        assert!(fx(Format::Xml, xml).is_message());
    }
}
