import Rules

extension VigilConfig {
    /// What the rule runtime takes of this configuration.
    var ruleRuntimeSettings: RuleRuntime.Settings {
        RuleRuntime.Settings(groups: ruleGroups, collectionInterval: global.collectInterval,
                             evaluationInterval: evaluationInterval, externalLabels: global.externalLabels,
                             externalURL: global.externalURL, stateDirectory: global.stateDirectory)
    }
}
