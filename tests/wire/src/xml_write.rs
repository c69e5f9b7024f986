//! Writes WeChat's `<xml>` documents (wechat-api.md §8.4): strings in CDATA, numbers bare,
//! children nested, and lists as repeated `<item>` elements (`<PicList><item>…</item></PicList>`,
//! wechat-oa.md §7.2).

use super::message::Node;

/// `<xml>` with the fields in order.
pub fn document(fields: &[(String, Node)]) -> String {
    let mut out = String::from("<xml>");
    for (name, node) in fields {
        element(&mut out, name, node);
    }
    out.push_str("</xml>");
    out
}

fn element(out: &mut String, name: &str, node: &Node) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    match node {
        Node::Text(text) => cdata(out, text),
        // Digits (and a decimal point) need no escaping.
        Node::Number(digits) => out.push_str(digits),
        Node::Group(children) => {
            for (child, value) in children {
                element(out, child, value);
            }
        }
        Node::Items(items) => {
            for item in items {
                element(out, "item", item);
            }
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// A CDATA section; a `]]>` inside the text ends one section and starts another, so any
/// string survives the round trip.
pub fn cdata(out: &mut String, text: &str) {
    out.push_str("<![CDATA[");
    out.push_str(&text.replace("]]>", "]]]]><![CDATA[>"));
    out.push_str("]]>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml_read::read_document;

    #[test]
    fn strings_are_cdata_numbers_bare_and_lists_items() {
        let fields = vec![
            ("MsgType".to_string(), Node::text("event")),
            ("CreateTime".to_string(), Node::number(1408090651)),
            (
                "SendPicsInfo".to_string(),
                Node::Group(vec![
                    ("Count".to_string(), Node::number(1)),
                    ("PicList".to_string(), Node::Items(vec![Node::Group(vec![("PicMd5Sum".to_string(), Node::text("1b5f"))])])),
                ]),
            ),
        ];
        assert_eq!(
            document(&fields),
            "<xml><MsgType><![CDATA[event]]></MsgType><CreateTime>1408090651</CreateTime>\
             <SendPicsInfo><Count>1</Count><PicList><item><PicMd5Sum><![CDATA[1b5f]]></PicMd5Sum>\
             </item></PicList></SendPicsInfo></xml>"
        );
    }

    #[test]
    fn a_cdata_terminator_in_the_text_survives() {
        let text = "a ]]> b <c> & d";
        let xml = document(&[("Content".to_string(), Node::text(text))]);
        assert_eq!(read_document(xml.as_bytes()).unwrap()["Content"], text);
    }
}
