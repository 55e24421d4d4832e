# NixOS VM test of nix/module.nix: `nix-build nix/test.nix` on a machine with nixpkgs and KVM
# (not run by `swift test`, which only parses the Nix files). It starts the unit, which is
# Type=notify, so wait_for_unit returns only after READY=1, then checks readiness, the metrics
# exposition and the watchdog setting.
{
  pkgs ? import <nixpkgs> { },
}:

pkgs.testers.runNixOSTest {
  name = "swift-pds";
  nodes.machine =
    { ... }:
    {
      imports = [ ./module.nix ];
      services.pds = {
        enable = true;
        settings.server.hostname = "localhost";
      };
      environment.systemPackages = [
        pkgs.curl
        pkgs.prometheus
      ];
    };
  testScript = ''
    machine.wait_for_unit("pds.service")
    machine.wait_for_open_port(2583)
    machine.succeed("curl --fail -s 'http://127.0.0.1:2583/readyz?verbose'")
    machine.succeed("curl --fail -s http://127.0.0.1:2583/metrics | promtool check metrics")
    machine.succeed("systemctl show pds -p WatchdogUSec | grep -q 30s")
    machine.succeed("test \"$(stat -c %a /var/lib/private/pds)\" = 700")
  '';
}
