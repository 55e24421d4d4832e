# SwiftPDS package: `pkgs.callPackage ./nix/package.nix { }`.
#
# SwiftPM cannot fetch dependencies inside the Nix sandbox, so they are pinned with swiftpm2nix
# (nixpkgs): after `swift package resolve` in the repository root, run
#   swiftpm2nix && mv nix nix-generated && mkdir -p nix/generated && mv nix-generated/* nix/generated/
# (swiftpm2nix writes default.nix, workspace-state.json and one fetchgit per dependency), commit
# nix/generated/, and rebuild. SwiftPDS needs Swift 6.2 or newer: pass a matching package set,
# e.g. `callPackage ./nix/package.nix { swiftPackages = pkgs.swift6Packages; }` where it exists.
{
  lib,
  swiftPackages,
  swiftpm2nix,
  pkg-config,
  sqlite,
  openssl,
  systemdLibs,
  zlib,
  secp256k1,
  revision ? "unknown",
}:

let
  generated = swiftpm2nix.helpers ./generated;
in
swiftPackages.stdenv.mkDerivation {
  pname = "swift-pds";
  version = "0.1.0";

  src = lib.cleanSourceWith {
    src = ../.;
    filter =
      path: type:
      let
        name = baseNameOf path;
      in
      !(lib.hasPrefix ".build" name || name == "data" || name == "Package.resolved");
  };

  nativeBuildInputs = [
    swiftPackages.swift
    swiftPackages.swiftpm
    pkg-config
  ];
  buildInputs = [
    swiftPackages.Foundation
    swiftPackages.XCTest
    sqlite
    openssl
    systemdLibs
    zlib
    secp256k1
  ];

  # Stamp the source revision that `pds --version` and pds_build_info report.
  postPatch = ''
    substituteInPlace Sources/App/BuildRevision.swift --replace-fail '"unknown"' '"${revision}"'
  '';

  configurePhase = generated.configure;

  swiftpmBuildConfig = "release";
  swiftpmFlags = [
    "--product"
    "pds"
  ];

  installPhase = ''
    runHook preInstall
    install -Dm755 "$(swiftpmBinPath)/pds" "$out/bin/pds"
    install -Dm644 systemd/pds.service "$out/share/doc/swift-pds/pds.service"
    cp -r alerts dashboards docs "$out/share/doc/swift-pds/"
    runHook postInstall
  '';

  meta = {
    description = "atproto Personal Data Server in Swift";
    homepage = "https://atproto.com";
    mainProgram = "pds";
    platforms = lib.platforms.linux;
  };
}
