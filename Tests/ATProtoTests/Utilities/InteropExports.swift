// The interop vector helper lives in the shared test-support target.
@_exported import InteropTestSupport
