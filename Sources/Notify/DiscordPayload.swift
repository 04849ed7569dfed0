/// A Discord webhook message: `content` (≤ 2000 characters) and one embed with title
/// (≤ 256), description (≤ 4096) and a status colour.
struct DiscordPayload: Encodable {
    struct Embed: Encodable {
        var title: String
        var description: String
        var color: Int
        var url: String?
    }

    var content: String
    var embeds: [Embed]

    init(_ c: NotificationContent, _ i: Integration) {
        let title = NotificationTemplate.render(i.titleTemplate, c, fallback: DefaultText.title(c))
        content = DefaultText.truncate(title, 2000)
        embeds = [Embed(
            title: DefaultText.truncate(title, 256),
            description: DefaultText.truncate(NotificationTemplate.render(i.textTemplate, c, fallback: DefaultText.body(c, .markdown)), 4096),
            color: c.status == .firing ? 0x992D22 : 0x2ECC71,
            url: c.externalURL.isEmpty ? nil : c.externalURL
        )]
    }
}
