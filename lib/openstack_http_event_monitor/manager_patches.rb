# frozen_string_literal: true

class OpenstackHTTPEventMonitor
  # What ManageIQ's OpenStack provider classes need to know of the "HTTP"
  # event stream, prepended to them by
  # {OpenstackHTTPEventMonitor.install_manageiq!}. Every method falls back
  # to ManageIQ's own (`super`) unless the http stream is the one chosen.
  module ManagerPatches
    ROLE = EventStream::ROLE

    # Prepended to the singleton classes of the cloud and infra managers.
    module ClassMethods
      # The provider form, with the HTTP option and its sub-form.
      def params_for_create
        ProviderForm.add_to(super, name.to_s.end_with?("InfraManager") ? :infra : :cloud)
      end

      # The form's Validate: with HTTP chosen, the other endpoints are
      # checked as ManageIQ checks them, and the event stream by
      # {OpenstackHTTPEventMonitor.verify!} with the form's values (ManageIQ's
      # own check would drop the URL).
      def verify_credentials(args)
        return super unless args.is_a?(Hash) && args["event_stream_selection"] == ROLE

        endpoints = (args["endpoints"] || {}).to_h.dup
        authentications = (args["authentications"] || {}).to_h.dup
        http_endpoint = endpoints.delete(ROLE) || {}
        http_auth = authentications.delete(ROLE)
        if endpoints.any?
          super(args.merge("endpoints" => endpoints, "authentications" => authentications,
                           "event_stream_selection" => "none"))
        end
        raw_connect(nil, {:event_stream_selection => ROLE, :http_stream => [args, http_endpoint, http_auth]})
      end

      # `raw_connect(_, {:event_stream_selection => "http", :http_stream => [args, endpoint, auth]})`
      # checks the stream; anything else is ManageIQ's.
      def raw_connect(password, params, *rest)
        return super unless params.is_a?(Hash) && params[:event_stream_selection] == ROLE && params[:http_stream]

        args, endpoint, auth = params[:http_stream]
        ManagerPatches.verify_form(self, args, endpoint, auth)
      end

      def create_from_params(params, endpoints, authentications)
        EventStream.prepare_params!(params, endpoints, authentications)
        super
      end
    end

    # Prepended to the cloud and infra managers.
    module InstanceMethods
      def edit_with_params(params, endpoints, authentications)
        EventStream.prepare_params!(params, endpoints, authentications, :stored => self)
        super
      end

      # ManageIQ's list of event endpoints is frozen without `http`.
      def events_endpoint
        (defined?(super) ? super : nil) || http_events_endpoint
      end

      # The credentials whose check also checks the event monitor:
      # `http` when the stream has its own, else the default ones.
      def auth_type_for_events
        return (defined?(super) ? super : nil) unless http_events_endpoint

        authentications.detect { |a| a.authtype.to_s == ROLE } ? ROLE : "default"
      end

      def supported_auth_types
        super | [ROLE]
      end

      def required_credential_fields(type)
        return super unless type.to_s == ROLE

        EventStream.of(self)&.required_credential_fields || [:userid, :password]
      end

      # `verify_credentials("http")` (ManageIQ's periodic check and the
      # provider's Validate) checks the stream with
      # {OpenstackHTTPEventMonitor.verify!} and records the events
      # capability, as ManageIQ does for its own streams.
      def verify_credentials(auth_type = nil, options = {})
        return super unless auth_type.to_s == ROLE

        if EventStream.of(self)&.authentication? && respond_to?(:missing_credentials?) && missing_credentials?(auth_type)
          raise ManagerPatches.miq_error("MiqHostError", ConfigurationError), "No credentials defined"
        end

        ok = OpenstackHTTPEventMonitor.verify!(event_monitor_options)
        if respond_to?(:capabilities) && capabilities.is_a?(Hash)
          capabilities["events"] = ok
          save! if changed?
        end
        ok
      end

      private

      def http_events_endpoint
        endpoints.detect { |e| e.role.to_s == ROLE && !(e.respond_to?(:marked_for_destruction?) && e.marked_for_destruction?) }
      end
    end

    # Prepended to ManageIQ's OpenStack ManagerMixin (every manager that
    # has an event catcher: cloud, network, block storage, infra).
    module EventMonitorOptions
      # `:events_monitor => :http` when the provider's http stream is
      # chosen (the monitor reads the stream from `:ems`); ManageIQ's
      # choice otherwise.
      #
      # `:hostname` and `:port` are the stream's (the pivot host; the push
      # receiver's port): ManageIQ caches monitors and their availability
      # by events_monitor, hostname, port, username and password.
      def event_monitor_options
        @event_monitor_options ||=
          if (stream = EventStream.of(self))
            {:ems => self, :events_monitor => :http, :automatic_recovery => false, :recover_from_connection_close => false}
              .merge(stream.cache_key(self))
          else
            super
          end
      end
    end

    # Prepended to ManageIQ's OpenStack EventCatcherRunnerMixin: the
    # catcher's `:http` worker settings reach the monitor as `options[:http]`
    # (as `:ceilometer`'s reach ManageIQ's monitor).
    module WorkerSettings
      def event_monitor_handle
        if @event_monitor_handle.nil? && @ems.respond_to?(:event_monitor_options)
          options = @ems.event_monitor_options
          settings = respond_to?(:worker_settings, true) ? worker_settings : nil
          http = settings.is_a?(Hash) ? settings[:http] : nil
          options[:http] = http.to_h if options[:events_monitor] == :http && http.respond_to?(:to_h)
        end
        super
      end
    end

    class << self
      # Checks a stream as the form has it (class-level `verify_credentials`).
      # @return [true]
      def verify_form(manager_class, args, endpoint, auth)
        auth = fill_stored_secrets(manager_class, args, auth)
        stream = EventStream.new(args.dig("options", "http_events") || {}, endpoint, auth)
        http = if stream.mode == "catalog"
                 provider = FormProvider.new(manager_class, args)
                 if provider.address.to_s.strip.empty?
                   raise ConfigurationError, "invalid HTTP event stream field options.http_events.mode: catalog " \
                                             "reads the Keystone catalog of the Default endpoint, which has no hostname"
                 end
                 Provider.http_options(:ems => provider).merge(stream.http_options)
               else
                 stream.http_options
               end
        OpenstackHTTPEventMonitor.verify!(:http => http)
      end

      # The ManageIQ exception class `name` when ManageIQ is loaded, else `fallback`.
      def miq_error(name, fallback)
        defined?(::MiqException) && ::MiqException.const_defined?(name, false) ? ::MiqException.const_get(name, false) : fallback
      end

      # A password the form did not send again (an edited provider): the stored one.
      def decrypt(value)
        defined?(::ManageIQ::Password) ? ::ManageIQ::Password.try_decrypt(value) : value
      end

      private

      def fill_stored_secrets(manager_class, args, auth)
        auth = (auth || {}).to_h.transform_keys(&:to_s)
        auth["password"] = decrypt(auth["password"]) if auth["password"]
        return auth unless args["id"]

        stored = manager_class.find(args["id"])
        auth["password"] ||= stored.authentication_password(ROLE) if stored.respond_to?(:authentication_password)
        auth["auth_key"] ||= stored.authentication_token(ROLE) if stored.respond_to?(:authentication_token)
        auth
      end
    end

    # The provider as the form has it, read as {Provider} reads a record
    # (catalog mode: Keystone from the default endpoint and credentials).
    class FormProvider
      def initialize(manager_class, args)
        @class = manager_class
        @args = args
      end

      def address
        default_endpoint["hostname"]
      end

      def port
        default_endpoint["port"]
      end

      def security_protocol
        default_endpoint["security_protocol"]
      end

      def api_version
        @args["api_version"]
      end

      def keystone_v3_domain_id
        @args["uid_ems"]
      end

      def provider_region
        @args["provider_region"]
      end

      def authentication_userid
        default_auth["userid"]
      end

      def authentication_password
        password = ManagerPatches.decrypt(default_auth["password"])
        password ||= @class.find(@args["id"]).authentication_password("default") if @args["id"]
        password
      end

      private

      def default_endpoint
        (@args.dig("endpoints", "default") || {}).to_h.transform_keys(&:to_s)
      end

      def default_auth
        (@args.dig("authentications", "default") || {}).to_h.transform_keys(&:to_s)
      end
    end
  end
end
