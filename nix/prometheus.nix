# NixOS snippet: scrape SwiftPDS and load its alerting rules (alerts/pds.rules.yml).
# `imports = [ ./nix/module.nix ./nix/prometheus.nix ];` on the host that runs Prometheus
# (here the same host as the PDS; change the target otherwise). The job must be named "pds":
# the PDSDown and PDSRestarting alerts select job="pds".
{ config, lib, ... }:

{
  services.prometheus = {
    enable = lib.mkDefault true;
    ruleFiles = [ ../alerts/pds.rules.yml ];
    scrapeConfigs = [
      {
        job_name = "pds";
        scrape_interval = "15s";
        metrics_path = "/metrics";
        static_configs = [
          {
            targets = [ "127.0.0.1:${toString config.services.pds.settings.server.port}" ];
          }
        ];
      }
    ];
  };
}
