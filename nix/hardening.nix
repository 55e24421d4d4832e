# The [Service] settings of systemd/pds.service that do not depend on paths: process type,
# notify/watchdog, restarts and the sandbox. nix/module.nix merges these into its unit, and
# AppTests' OpsKitTests evaluate this file (`nix-instantiate --eval --strict --json`) and check that
# systemd/pds.service has exactly these settings, so the NixOS unit and the plain unit stay the same.
{
  Type = "notify";
  NotifyAccess = "main";
  TimeoutStartSec = "5min";
  TimeoutStopSec = "30s";
  WatchdogSec = "30s";
  Restart = "on-failure";
  RestartSec = "2s";
  LimitNOFILE = 65536;

  DynamicUser = true;
  StateDirectoryMode = "0700";
  UMask = "0077";

  NoNewPrivileges = true;
  CapabilityBoundingSet = "";
  AmbientCapabilities = "";
  ProtectSystem = "strict";
  ProtectHome = true;
  PrivateTmp = true;
  PrivateDevices = true;
  PrivateUsers = true;
  DevicePolicy = "closed";
  ProtectHostname = true;
  ProtectClock = true;
  ProtectKernelTunables = true;
  ProtectKernelModules = true;
  ProtectKernelLogs = true;
  ProtectControlGroups = true;
  ProtectProc = "invisible";
  RestrictAddressFamilies = "AF_UNIX AF_INET AF_INET6";
  RestrictNamespaces = true;
  RestrictRealtime = true;
  RestrictSUIDSGID = true;
  LockPersonality = true;
  MemoryDenyWriteExecute = true;
  RemoveIPC = true;
  SystemCallArchitectures = "native";
  SystemCallFilter = [ "@system-service" "~@privileged @resources" ];
  SystemCallErrorNumber = "EPERM";
}
