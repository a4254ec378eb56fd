// Tensor/ and Ops/ build as the Kernels target (Package.swift: their own build settings); every
// user of Shared sees them as part of it.
@_exported import Kernels
