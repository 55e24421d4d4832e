# NixOS module for SwiftPDS: `imports = [ ./nix/module.nix ];` then `services.pds.enable = true;`.
#
# The unit is systemd/pds.service: the path-independent settings (Type=notify, watchdog, restarts,
# sandbox) come from ./hardening.nix, which a test checks against that file. Settings are rendered
# to TOML (`pds serve --config`); secrets never go through the Nix store: put PDS_JWT_SECRET,
# PDS_ADMIN_PASSWORD and PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX in a file listed in
# `environmentFiles`, or leave them out and the server generates them into
# <dataDir>/secrets.toml on first start.
{
  config,
  lib,
  pkgs,
  ...
}:

let
  cfg = config.services.pds;
  settingsFormat = pkgs.formats.toml { };
  configFile = settingsFormat.generate "pds.toml" cfg.settings;

  # A TOML table whose well-known keys are typed and whose other keys pass through as they are.
  section =
    description: options:
    lib.mkOption {
      inherit description;
      default = { };
      type = lib.types.submodule {
        freeformType = settingsFormat.type;
        inherit options;
      };
    };
in
{
  options.services.pds = {
    enable = lib.mkEnableOption "SwiftPDS, an atproto Personal Data Server";

    package = lib.mkOption {
      type = lib.types.package;
      default = pkgs.callPackage ./package.nix { };
      defaultText = lib.literalExpression "pkgs.callPackage ./nix/package.nix { }";
      description = "The SwiftPDS package whose `pds` binary is run.";
    };

    dataDir = lib.mkOption {
      type = lib.types.strMatching "/var/lib/[^/].*";
      default = "/var/lib/pds";
      description = ''
        Data folder (pds.sqlite, blobs, secrets.toml). It is the unit's StateDirectory, so it must
        be below /var/lib; it is owned by the unit's dynamic user and has mode 0700.
      '';
    };

    environmentFiles = lib.mkOption {
      type = lib.types.listOf lib.types.path;
      default = [ ];
      example = [ "/run/secrets/pds.env" ];
      description = ''
        Files of `PDS_*=value` lines read by systemd (as root) before start: the place for
        PDS_JWT_SECRET, PDS_ADMIN_PASSWORD and PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX
        (`openssl rand -hex 32` gives a valid value for each).
      '';
    };

    openFirewall = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = "Open `settings.server.port` in the firewall (usually a TLS reverse proxy listens instead).";
    };

    settings = lib.mkOption {
      default = { };
      description = ''
        pds.toml (README, "Configuration"): any key the server knows; the well-known ones are typed here.
        Unknown keys are refused by the server at start (exit status 78).
      '';
      type = lib.types.submodule {
        freeformType = settingsFormat.type;
        options = {
          server = section "The [server] table." {
            hostname = lib.mkOption {
              type = lib.types.str;
              example = "pds.example.com";
              description = "Public host name of this PDS (its service DID is did:web:<hostname>).";
            };
            port = lib.mkOption {
              type = lib.types.port;
              default = 2583;
              description = "TCP port to listen on.";
            };
            bind_address = lib.mkOption {
              type = lib.types.str;
              default = "127.0.0.1";
              description = "IP address to listen on (0.0.0.0 or :: for all interfaces).";
            };
            invite_required = lib.mkOption {
              type = lib.types.bool;
              default = true;
              description = "Whether creating an account needs an invite code.";
            };
          };
          identity = section "The [identity] table." {
            did_plc_url = lib.mkOption {
              type = lib.types.str;
              default = "https://plc.directory";
              description = "PLC directory used to create and resolve did:plc identities.";
            };
          };
          firehose = section "The [firehose] table." {
            crawlers = lib.mkOption {
              type = lib.types.listOf lib.types.str;
              default = [ ];
              example = [ "https://bsky.network" ];
              description = "Relays asked to crawl this PDS.";
            };
          };
          log = section "The [log] table." {
            level = lib.mkOption {
              type = lib.types.enum [
                "trace"
                "debug"
                "info"
                "notice"
                "warning"
                "error"
                "critical"
              ];
              default = "info";
              description = "Log level (the unit logs to the journal).";
            };
          };
        };
      };
    };
  };

  config = lib.mkIf cfg.enable {
    networking.firewall.allowedTCPPorts = lib.mkIf cfg.openFirewall [ cfg.settings.server.port ];

    environment.systemPackages = [ cfg.package ];

    systemd.services.pds = {
      description = "SwiftPDS atproto Personal Data Server";
      documentation = [ "https://atproto.com/guides/self-hosting" ];
      wantedBy = [ "multi-user.target" ];
      after = [ "network-online.target" ];
      wants = [ "network-online.target" ];
      startLimitIntervalSec = 600;
      startLimitBurst = 5;
      restartTriggers = [ configFile ];

      serviceConfig = import ./hardening.nix // {
        ExecStart = "${lib.getExe cfg.package} serve --config ${configFile} --data-dir ${cfg.dataDir}";
        EnvironmentFile = cfg.environmentFiles;
        StateDirectory = lib.removePrefix "/var/lib/" cfg.dataDir;
      };
    };
  };
}
