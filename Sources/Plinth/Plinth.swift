// `import Plinth` brings in every public Plinth module.
@_exported import PlinthAdapters
@_exported import PlinthData
@_exported import PlinthDistributed
@_exported import PlinthModalities
@_exported import PlinthModels
@_exported import PlinthNN
@_exported import PlinthObjectives
@_exported import PlinthRecipes
@_exported import PlinthTensor

/// Plinth's release version.
public enum PlinthInfo {
    public static let version = "0.1.0"
}
