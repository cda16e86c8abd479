# frozen_string_literal: true

class OpenstackHTTPEventMonitor
  # Loaded only inside a Rails app. A ManageIQ plugin (`vmdb_plugin?`), so
  # ManageIQ merges the gem's `config/settings.yml` (the event catchers'
  # `:http` worker settings) into its settings; and on every `to_prepare`
  # (boot, and each code reload in development) it applies
  # {OpenstackHTTPEventMonitor.install_manageiq!}. Outside ManageIQ it finds
  # no provider class and does nothing.
  class Engine < ::Rails::Engine
    # ManageIQ treats engines that answer true as its plugins.
    def self.vmdb_plugin?
      true
    end

    config.to_prepare { OpenstackHTTPEventMonitor.install_manageiq! }
  end
end
