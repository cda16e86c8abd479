# frozen_string_literal: true

require "json"
require "uri"

class OpenstackHTTPEventMonitor
  # A provider's "HTTP" event stream as ManageIQ keeps it: the provider's
  # `http` endpoint, its `http` authentication and `options[:http_events]`
  # — what the provider form submits as `endpoints.http.*`,
  # `authentications.http.*` and `options.http_events.*`.
  #
  # Three modes:
  # - `catalog`: poll the event service found in the Keystone catalog with
  #   the provider's default credentials (Panko's `event`, else Ceilometer's
  #   `metering`);
  # - `url`: poll the event service at `endpoints.http.url`, with no, basic,
  #   X-Auth-Token or bearer authentication, as Panko, Ceilometer or generic
  #   JSON (its settings as JSON text in `options.http_events.json`);
  # - `push`: receive what Ceilometer's http publisher POSTs, on
  #   `endpoints.http.hostname` : `port` + `path`, from the basic-auth user
  #   in `authentications.http`.
  #
  # Reads records or the form's hashes alike, checks them naming the form
  # field, and gives the monitor's `:http` options. Knows nothing of
  # ManageIQ's classes.
  class EventStream
    ROLE = "http"
    MODES = %w[catalog url push].freeze
    SOURCES = %w[panko ceilometer json].freeze
    AUTH_TYPES = %w[none basic token bearer].freeze
    DEFAULT_BIND = "0.0.0.0"
    DEFAULT_PATH = "/events"
    # OpenSSL::SSL::VERIFY_PEER / VERIFY_NONE, as ManageIQ's endpoints keep them
    VERIFY_PEER = 1
    VERIFY_NONE = 0
    # A provider's child managers each have an event catcher, and a push
    # receiver per catcher: the cloud (or infra) manager's listens on the
    # port, the network manager's on port + 1, block storage's on port + 2.
    PORT_OFFSETS = {"NetworkManager" => 1, "CinderManager" => 2, "StorageManager" => 2}.freeze

    ENDPOINT_KEYS = %w[role hostname port url path verify_ssl certificate_authority].freeze
    AUTH_KEYS = %w[authtype userid password auth_key].freeze
    SETTING_KEYS = %w[mode source auth_type json].freeze
    private_constant :ENDPOINT_KEYS, :AUTH_KEYS, :SETTING_KEYS

    class << self
      # @param ems [Object] a provider record (endpoints, authentications, options)
      # @return [EventStream, nil] nil when it has no `http` endpoint
      def of(ems)
        endpoint = role_record(ems, :endpoints, :role)
        return nil if endpoint.nil?

        auth = role_record(ems, :authentications, :authtype)
        new(settings_of(ems), read(endpoint, ENDPOINT_KEYS), auth && read(auth, AUTH_KEYS))
      end

      # @return [Hash] `options[:http_events]` of a provider record, or of
      #   its parent manager ({} if none)
      def settings_of(ems)
        # network and block storage managers use their parent's endpoints
        parent = ems.respond_to?(:parent_manager) ? ems.parent_manager : nil
        options = (parent || ems).respond_to?(:options) ? (parent || ems).options : nil
        return {} unless options.is_a?(Hash)

        options[:http_events] || options["http_events"] || {}
      end

      # Normalises what the provider form submits for an http stream before
      # ManageIQ stores it (`create_from_params` / `edit_with_params`
      # arguments, changed in place): the `http` endpoint keeps only its
      # mode's fields plus `hostname`, which marks the stream as chosen when
      # the form is opened again; the `http` authentication only when the
      # mode has one; `options.http_events` the mode's settings. Without an
      # `http` endpoint, `options.http_events` goes (another stream was
      # chosen).
      # @param params [Hash] the provider's attributes
      # @param endpoints [Array<Hash>] with "role"
      # @param authentications [Array<Hash>] with "authtype"
      # @param stored [Object, nil] the provider being edited: its options
      #   are kept, and its stored secrets stand for the ones not sent again
      # @raise [ConfigurationError] naming the form field
      # @return [void]
      def prepare_params!(params, endpoints, authentications, stored: nil)
        endpoint = endpoints.find { |e| field(e, "role") == ROLE }
        options = stored_options(stored).merge(stringify(field(params, "options") || {}))
        if endpoint.nil?
          params["options"] = options.reject { |k, _| k == "http_events" } if options.key?("http_events")
          return
        end

        auth = authentications.find { |a| field(a, "authtype") == ROLE }
        default = endpoints.find { |e| field(e, "role") == "default" }
        stream = new(options["http_events"] || {}, endpoint, auth)
        stream.check!(:secrets => !stored_auth?(stored))
        endpoint.replace(stream.endpoint_attributes(default && field(default, "hostname")))
        authentications.delete(auth)
        authentications << stream.authentication_attributes if stream.authentication?
        params["options"] = options.merge("http_events" => stream.settings)
      end

      # The port a manager's push receiver listens on (see PORT_OFFSETS).
      def port_for(ems, port)
        kind = ems.class.name.to_s.split("::").last
        port + PORT_OFFSETS.fetch(kind, 0)
      end

      def stringify(hash)
        hash.to_h.each_with_object({}) { |(k, v), out| out[k.to_s] = v.is_a?(Hash) ? stringify(v) : v }
      end

      private

      def role_record(ems, association, key)
        return nil unless ems.respond_to?(association)

        ems.public_send(association).detect do |record|
          record.public_send(key).to_s == ROLE && !(record.respond_to?(:marked_for_destruction?) && record.marked_for_destruction?)
        end
      end

      def read(record, keys)
        keys.each_with_object({}) { |k, out| out[k] = record.public_send(k) if record.respond_to?(k) }
      end

      def field(hash, key)
        hash[key] || hash[key.to_sym]
      end

      def stored_options(stored)
        options = stored.respond_to?(:options) ? stored.options : nil
        options.is_a?(Hash) ? stringify(options) : {}
      end

      def stored_auth?(stored)
        !stored.nil? && !role_record(stored, :authentications, :authtype).nil?
      end
    end

    # @return [String] catalog, url or push
    attr_reader :mode

    # @param settings [Hash] `options.http_events` (mode, source, auth_type, json)
    # @param endpoint [Hash] the `http` endpoint's attributes
    # @param authentication [Hash, nil] the `http` authentication's attributes
    def initialize(settings, endpoint, authentication)
      @settings = self.class.stringify(settings || {})
      @endpoint = self.class.stringify(endpoint || {})
      @auth = authentication && self.class.stringify(authentication)
      @mode = present(@settings["mode"]) || inferred_mode
    end

    # @return [String] panko, ceilometer or json (push: nil)
    def source
      return nil if @mode == "push"

      present(@settings["source"]) || "panko"
    end

    # @return [String] none, basic, token or bearer (url mode only)
    def auth_type
      return "basic" if @mode == "push"
      return "none" unless @mode == "url"

      present(@settings["auth_type"]) || inferred_auth
    end

    # Checks the fields of the stream's mode.
    # @param secrets [Boolean] whether passwords and tokens must be there
    #   (false when editing a provider that has them stored)
    # @raise [ConfigurationError] naming the form field
    # @return [true]
    def check!(secrets: true)
      one_of("options.http_events.mode", @mode, MODES)
      case @mode
      when "catalog" then one_of("options.http_events.source", source, %w[panko ceilometer])
      when "url" then check_url!(secrets)
      when "push" then check_push!(secrets)
      end
      true
    end

    # The monitor's `:http` options for this stream.
    # @param keystone [Hash, nil] the Keystone auth derived from the
    #   provider's default endpoint (catalog mode)
    # @param ems [Object, nil] the manager whose catcher runs the receiver
    #   (push: its port offset)
    # @return [Hash{String => Object}]
    def http_options(keystone: nil, ems: nil)
      check!
      case @mode
      when "catalog" then catalog_options(keystone)
      when "url" then url_options
      else push_options(ems)
      end
    end

    # The `http` endpoint as stored: its mode's fields, `hostname` always
    # set (the form's pivot for this stream).
    # @param default_hostname [String, nil] the default endpoint's host (catalog mode)
    def endpoint_attributes(default_hostname = nil)
      base = {"role" => ROLE, "url" => nil, "port" => nil, "path" => nil, "verify_ssl" => VERIFY_PEER,
              "certificate_authority" => nil}
      case @mode
      when "catalog" then base.merge("hostname" => default_hostname.to_s)
      when "url"
        base.merge("hostname" => URI.parse(url).host, "url" => url, "verify_ssl" => verify? ? VERIFY_PEER : VERIFY_NONE,
                   "certificate_authority" => present(@endpoint["certificate_authority"]))
      else base.merge("hostname" => bind, "port" => Integer(@endpoint["port"].to_s), "path" => path)
      end
    end

    # Whether the mode keeps an `http` authentication.
    def authentication?
      @mode == "push" || (@mode == "url" && auth_type != "none")
    end

    # The `http` authentication as stored (secrets left out when not sent
    # again, so ManageIQ keeps the stored ones).
    def authentication_attributes
      attrs = {"authtype" => ROLE}
      keys = %w[token bearer].include?(auth_type) ? %w[auth_key] : %w[userid password]
      keys.each { |k| attrs[k] = @auth[k] if @auth && present(@auth[k]) }
      attrs
    end

    # `options.http_events` as stored: the mode's settings only.
    def settings
      out = {"mode" => @mode}
      out["source"] = source unless @mode == "push"
      out["auth_type"] = auth_type if @mode == "url"
      out["json"] = @settings["json"] if source == "json"
      out
    end

    # What tells this stream from another in ManageIQ's monitor caches.
    # @param ems [Object] the manager whose catcher runs the monitor
    # @return [Hash] :hostname and :port
    def cache_key(ems)
      port = @mode == "push" ? self.class.port_for(ems, Integer(@endpoint["port"].to_s, :exception => false) || 0) : nil
      port ||= (URI.parse(url).port if @mode == "url" && url.match?(%r{\Ahttps?://}i))
      {:hostname => present(@endpoint["hostname"]) || (@mode == "url" ? url : nil), :port => port}
    rescue URI::InvalidURIError
      {:hostname => url, :port => nil}
    end

    # The credential fields ManageIQ must find for the `http` authentication.
    # @return [Array<Symbol>]
    def required_credential_fields
      %w[token bearer].include?(auth_type) ? [:auth_key] : [:userid, :password]
    end

    def inspect
      "#<#{self.class.name} mode=#{@mode} source=#{source.inspect} auth=#{auth_type}>"
    end
    alias to_s inspect

    private

    def inferred_mode
      return "url" if present(@endpoint["url"])
      return "push" if present(@endpoint["port"])

      "catalog"
    end

    def inferred_auth
      return "none" if @auth.nil?

      present(@auth["auth_key"]) ? "token" : "basic"
    end

    def url
      @endpoint["url"].to_s.strip
    end

    def bind
      present(@endpoint["hostname"]) || DEFAULT_BIND
    end

    def path
      present(@endpoint["path"]) || DEFAULT_PATH
    end

    def verify?
      !["0", "false", "no", "off", ""].include?(@endpoint.fetch("verify_ssl", VERIFY_PEER).to_s.strip.downcase)
    end

    def check_url!(secrets)
      begin
        uri = URI.parse(url)
      rescue URI::InvalidURIError
        uri = nil
      end
      unless uri.is_a?(URI::HTTP) && present(uri.host)
        invalid("endpoints.http.url", "must be an http:// or https:// URL of the event service, got #{url.inspect}")
      end
      one_of("options.http_events.source", source, SOURCES)
      one_of("options.http_events.auth_type", auth_type, AUTH_TYPES)
      json_settings if source == "json"
      required_credential_fields.each { |k| secret!(k.to_s, secrets || k == :userid) } if authentication?
    end

    def check_push!(secrets)
      port = @endpoint["port"].to_s.strip
      unless port.match?(/\A\d+\z/) && Integer(port).between?(1, 65_533)
        invalid("endpoints.http.port", "must be a TCP port (1 to 65533: the network and block storage catchers " \
                                       "listen on the next two), got #{port.inspect}")
      end
      invalid("endpoints.http.path", "must start with /, got #{path.inspect}") unless path.start_with?("/")
      secret!("userid", true)
      secret!("password", secrets)
    end

    def secret!(key, required)
      return if !required || (@auth && present(@auth[key]))

      invalid("authentications.http.#{key}", "is required for #{@mode == "push" ? "the sender" : auth_type} " \
                                             "#{key == "userid" ? "user" : "credentials"}")
    end

    def json_settings
      text = @settings["json"]
      parsed = text.is_a?(Hash) ? text : JSON.parse(text.to_s)
      invalid("options.http_events.json", "must be a JSON object") unless parsed.is_a?(Hash)
      parsed
    rescue JSON::ParserError => e
      invalid("options.http_events.json", "is not JSON: #{e.message.lines.first.to_s.strip}")
    end

    def catalog_options(keystone)
      out = {}
      out["auth"] = keystone if keystone
      out["source"] = "ceilometer" if source == "ceilometer"
      out
    end

    def url_options
      out = {"url" => url, "verify_ssl" => verify?}
      ca = present(@endpoint["certificate_authority"])
      out["ca_pem"] = ca if ca && verify?
      out["source"] = source == "json" ? {"type" => "json"}.merge(self.class.stringify(json_settings)) : source
      out["auth"] = case auth_type
                    when "basic" then {"type" => "basic", "username" => @auth["userid"], "password" => @auth["password"]}
                    when "token", "bearer" then {"type" => auth_type, "token" => @auth["auth_key"]}
                    else {"type" => "none"}
                    end
      out
    end

    def push_options(ems)
      port = Integer(@endpoint["port"].to_s)
      port = self.class.port_for(ems, port) if ems
      host = bind.include?(":") && !bind.start_with?("[") ? "[#{bind}]" : bind
      {"source" => {"type" => "push", "listen" => "#{host}:#{port}", "path" => path,
                    "users" => {@auth["userid"].to_s => @auth["password"].to_s}}}
    end

    def one_of(name, value, allowed)
      return if allowed.include?(value)

      invalid(name, "must be one of #{allowed.join(", ")}, got #{value.inspect}")
    end

    def invalid(name, message)
      raise ConfigurationError, "invalid HTTP event stream field #{name}: #{message}"
    end

    def present(value)
      text = value.to_s.strip
      text.empty? ? nil : text
    end
  end
end
