# NixOS snippet: provision the SwiftPDS dashboards (dashboards/*.json) and a Prometheus data source
# in Grafana. Every dashboard has a `datasource` variable, so any Prometheus data source works.
{ config, lib, ... }:

{
  services.grafana = {
    enable = lib.mkDefault true;
    provision = {
      enable = true;
      datasources.settings.datasources = [
        {
          name = "Prometheus";
          type = "prometheus";
          url = "http://127.0.0.1:${toString config.services.prometheus.port}";
          isDefault = true;
        }
      ];
      dashboards.settings.providers = [
        {
          name = "SwiftPDS";
          folder = "SwiftPDS";
          options.path = ../dashboards;
        }
      ];
    };
  };
}
