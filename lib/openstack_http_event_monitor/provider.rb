# frozen_string_literal: true

class OpenstackHTTPEventMonitor
  # Derives `options[:http]` from ManageIQ's provider (`options[:ems]`), with
  # ManageIQ's meanings, so an operator has nothing to configure:
  #
  # - Keystone URL from `address`, `port`, `api_version` and
  #   `security_protocol` (`non-ssl` → http; `ssl-with-validation` → https,
  #   verified; `ssl`, `ssl-no-validation` or blank → https, not verified);
  # - credentials from `authentication_userid` / `authentication_password`,
  #   both domains from `keystone_v3_domain_id`, the region from
  #   `provider_region`; network and cinder managers read these from
  #   `parent_manager`;
  # - `event_types_regex` from `options[:ceilometer]` (the worker settings);
  # - back-read seconds from ManageIQ's `Settings`;
  # - with an "HTTP" event stream chosen in the provider form (an `http`
  #   endpoint, see {EventStream}), its URL, source and credentials, or its
  #   push receiver, instead of the Keystone catalog.
  #
  # Whatever `options[:http]` says wins, key by key (`:auth` merged too).
  module Provider
    UNVERIFIED = ["ssl", "ssl-no-validation", "", nil].freeze

    module_function

    # @return [Hash{String => Object}, nil] the derived http options, nil without an ems
    def http_options(options)
      ems = options[:ems]
      return nil if ems.nil?

      manager = connection_manager(ems)
      protocol = manager.try_value(:security_protocol)&.to_s
      keystone = {"auth" => keystone(manager, protocol), "verify_ssl" => !UNVERIFIED.include?(protocol)}
      stream = EventStream.of(manager.record)
      http = if stream.nil? then keystone
             elsif stream.mode == "catalog" then keystone.merge(stream.http_options)
             else stream.http_options(:ems => ems)
             end
      regex = (options[:ceilometer] || {})[:event_types_regex] if options[:ceilometer].is_a?(Hash)
      http["event_types_regex"] = regex if regex && !regex.to_s.empty?
      backread = setting(:ems, :ems_openstack, :event_handling, :event_backread_seconds)
      http["backread_seconds"] = backread if backread.is_a?(Numeric)
      http
    end

    # Keystone from the provider's endpoint and default credentials.
    def keystone(manager, protocol)
      version = manager.try_value(:api_version).to_s == "v2" ? "v2.0" : "v3"
      scheme = protocol == "non-ssl" ? "http" : "https"
      address = manager.try_value(:address).to_s
      address = "[#{address}]" if address.include?(":") && !address.start_with?("[")
      port = manager.try_value(:port)
      url = "#{scheme}://#{address}#{port.to_s.empty? ? "" : ":#{port}"}/#{version}"
      domain = manager.try_value(:keystone_v3_domain_id)
      auth = {
        "type"        => "keystone",
        "url"         => url,
        "api_version" => version,
        "username"    => manager.try_value(:authentication_userid),
        "password"    => manager.try_value(:authentication_password),
        "region"      => manager.try_value(:provider_region)
      }
      auth["user_domain_id"] = auth["project_domain_id"] = domain.to_s unless domain.to_s.empty?
      auth.reject { |_, v| v.nil? || v == "" }
    end

    # Network and cinder managers reach the provider through parent_manager.
    def connection_manager(ems)
      parent = ems.respond_to?(:parent_manager) ? ems.parent_manager : nil
      Reader.new(parent || ems)
    end

    # Where the first poll starts: the provider's newest stored event, else
    # its creation when ManageIQ skips history, else no lower bound.
    # @return [String, nil] ISO 8601 UTC
    def cursor_start(ems)
      return nil if ems.nil?

      Options.ems_since(ems) || (skip_history? && ems.respond_to?(:created_on) ? Options.time(ems.created_on) : nil)
    end

    def skip_history?
      setting(:ems, :ems_openstack, :event_handling, :event_skip_history) ? true : false
    end

    # A value of ManageIQ's Settings, nil when Settings is not defined.
    def setting(*path)
      return nil unless defined?(::Settings)

      tree = ::Settings.respond_to?(:to_hash) ? ::Settings.to_hash : ::Settings
      path.reduce(tree) do |node, key|
        break nil unless node.respond_to?(:[])

        node.is_a?(Hash) ? (node.key?(key) ? node[key] : node[key.to_s]) : node[key]
      end
    rescue StandardError
      nil
    end

    # Reads a provider attribute that may be missing on some manager types.
    Reader = Struct.new(:record) do
      def try_value(name)
        record.respond_to?(name) ? record.public_send(name) : nil
      end
    end
  end
end
