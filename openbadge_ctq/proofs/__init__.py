"""Proof formats: Data Integrity (eddsa-rdfc-2022 and legacy Ed25519 suites), VC-JWT, and compact JWS."""
