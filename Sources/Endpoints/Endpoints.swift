// Module Endpoints
