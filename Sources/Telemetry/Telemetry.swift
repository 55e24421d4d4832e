// Module Telemetry
