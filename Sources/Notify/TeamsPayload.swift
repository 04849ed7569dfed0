/// A Microsoft Teams Workflows message: `type: message` with one Adaptive Card attachment
/// (`application/vnd.microsoft.card.adaptive`, schema version 1.4).
struct TeamsPayload: Encodable {
    struct Attachment: Encodable {
        var contentType = "application/vnd.microsoft.card.adaptive"
        var contentUrl: String? = nil
        var content: Card

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(contentType, forKey: .contentType)
            try c.encodeNil(forKey: .contentUrl)
            try c.encode(content, forKey: .content)
        }

        enum Keys: String, CodingKey { case contentType, contentUrl, content }
    }

    struct Card: Encodable {
        var schema = "http://adaptivecards.io/schemas/adaptive-card.json"
        var type = "AdaptiveCard"
        var version = "1.4"
        var body: [Element]
        var actions: [Action]?
        var msteams = ["width": "Full"]

        enum CodingKeys: String, CodingKey { case schema = "$schema", type, version, body, actions, msteams }
    }

    struct Element: Encodable {
        var type: String
        var text: String?
        var wrap: Bool?
        var weight: String?
        var size: String?
        var color: String?
        var facts: [Fact]?
    }

    struct Fact: Encodable {
        var title: String
        var value: String
    }

    struct Action: Encodable {
        var type = "Action.OpenUrl"
        var title: String
        var url: String
    }

    var type = "message"
    var attachments: [Attachment]

    init(_ c: NotificationContent, _ i: Integration) {
        let title = NotificationTemplate.render(i.titleTemplate, c, fallback: DefaultText.title(c))
        var body: [Element] = [Element(type: "TextBlock", text: title, wrap: true, weight: "Bolder", size: "Large",
                                       color: c.status == .firing ? "Attention" : "Good")]
        if let text = i.textTemplate {
            body.append(Element(type: "TextBlock", text: NotificationTemplate.render(text, c, fallback: ""), wrap: true))
        } else {
            for item in c.items {
                body.append(Element(type: "TextBlock", text: DefaultText.alert(item, .markdown), wrap: true))
            }
        }
        if c.truncatedAlerts > 0 { body.append(Element(type: "TextBlock", text: "… and \(c.truncatedAlerts) more", wrap: true)) }
        let facts = c.commonLabels.sorted { $0.key < $1.key }.map { Fact(title: $0.key, value: $0.value) }
        if !facts.isEmpty { body.append(Element(type: "FactSet", facts: facts)) }
        let actions = c.externalURL.isEmpty ? nil : [Action(title: "Open Vigil", url: c.externalURL)]
        attachments = [Attachment(content: Card(body: body, actions: actions))]
    }
}
