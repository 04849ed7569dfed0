/// A Slack incoming-webhook message (Mattermost accepts the same): `text` plus one
/// attachment coloured by status, with mrkdwn enabled.
struct SlackPayload: Encodable {
    struct Attachment: Encodable {
        var color: String
        var title: String
        var title_link: String?
        var text: String
        var fallback: String
        var mrkdwn_in: [String]
    }

    var text: String
    var channel: String?
    var username: String?
    var icon_emoji: String?
    var icon_url: String?
    var attachments: [Attachment]

    init(_ c: NotificationContent, _ i: Integration) {
        let title = NotificationTemplate.render(i.titleTemplate, c, fallback: DefaultText.title(c))
        text = title
        channel = i.channel
        username = i.username
        icon_emoji = i.iconEmoji
        icon_url = i.iconURL
        attachments = [Attachment(
            color: c.status == .firing ? "danger" : "good",
            title: title,
            title_link: c.externalURL.isEmpty ? nil : c.externalURL,
            text: NotificationTemplate.render(i.textTemplate, c, fallback: DefaultText.body(c, .slack)),
            fallback: title,
            mrkdwn_in: ["text", "title"]
        )]
    }
}
