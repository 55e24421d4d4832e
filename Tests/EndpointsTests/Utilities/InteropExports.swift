// The shared test-support targets: the interop vector helper and the test PLC directory.
@_exported import InteropTestSupport
@_exported import PDSTestSupport
