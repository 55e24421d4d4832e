// Module Storage
