# frozen_string_literal: true

class OpenstackHTTPEventMonitor
  # The "HTTP" choice of the OpenStack provider form's event stream
  # selector (ManageIQ's data-driven-forms schema from `params_for_create`):
  # one more option of the `event_stream_selection` protocol selector and,
  # beside it, the sub-form shown when it is chosen. The option's value is
  # the endpoint role and authtype `http` (the form drops the
  # `endpoints.<value>` and `authentications.<value>` of the options not
  # chosen); its pivot `endpoints.http.hostname` is set for every mode (see
  # {EventStream#endpoint_attributes}), so an edited provider opens with
  # HTTP chosen.
  module ProviderForm
    OPTION_VALUE = EventStream::ROLE
    PIVOT = "endpoints.http.hostname"
    MODE = "options.http_events.mode"
    SOURCE = "options.http_events.source"
    AUTH_TYPE = "options.http_events.auth_type"

    module_function

    # Adds the option and its sub-form to `schema` (changed in place; a
    # schema that has them already is left as it is).
    # @param schema [Hash] what `params_for_create` returns
    # @param kind [Symbol] :cloud (the sub-form validates with the default
    #   credentials) or :infra (it has its own Validate button, like AMQP's)
    # @return [Hash] the schema
    def add_to(schema, kind)
      siblings, selector = find_selector(schema[:fields] || [])
      return schema if selector.nil? || selector[:options].any? { |o| o[:value] == OPTION_VALUE }

      selector[:options] = selector[:options] + [option]
      siblings << subform(kind)
      schema
    end

    def option
      {:label => translate("HTTP (Panko, Ceilometer, JSON API or push)"), :value => OPTION_VALUE, :pivot => PIVOT}
    end

    def subform(kind)
      common = {
        :id        => "endpoints.http.valid",
        :name      => "endpoints.http.valid",
        :condition => {:when => "event_stream_selection", :is => OPTION_VALUE},
        :fields    => fields
      }
      if kind == :infra
        common.merge(:component => "validate-provider-credentials", :skipSubmit => true, :isRequired => true,
                     :validationDependencies => %w[type zone_id event_stream_selection api_version uid_ems
                                                   endpoints.default.hostname endpoints.default.port
                                                   endpoints.default.security_protocol
                                                   authentications.default.userid authentications.default.password])
      else
        common.merge(:component => "sub-form", :validationDependencies => %w[type event_stream_selection])
      end
    end

    def fields
      [
        select(MODE, "Mode", "catalog", [
                 ["Poll the event service of the Keystone catalog (Panko, else Ceilometer)", "catalog"],
                 ["Poll an event service URL", "url"],
                 ["Receive the events Ceilometer's http publisher POSTs", "push"]
               ], :isRequired => true, :validate => [{:type => "required"}]),
        select(SOURCE, "Event API", "panko", [
                 ["Panko (GET /v2/events)", "panko"],
                 ["Ceilometer v2 events API", "ceilometer"],
                 ["Generic JSON (settings below)", "json"]
               ], :condition => {:or => [when_mode("catalog"), when_mode("url")]}),
        text("endpoints.http.url", "Event service URL", when_mode("url"), :isRequired => true,
             :helperText => translate("e.g. https://panko.example.com:8977"),
             :validate => [{:type => "required"}, {:type => "pattern", :pattern => "^https?://"}]),
        select(AUTH_TYPE, "Authentication", "none", [
                 ["None", "none"], ["Basic (user and password)", "basic"],
                 ["Token (X-Auth-Token)", "token"], ["Bearer token", "bearer"]
               ], :condition => when_mode("url")),
        text("authentications.http.userid", "Username", needs_user, :isRequired => true,
             :helperText => translate("With push: the user the publisher URL names (http://USER:PASSWORD@…)"),
             :validate => [{:type => "required"}]),
        secret("authentications.http.password", "Password", needs_user),
        secret("authentications.http.auth_key", "Token",
               {:and => [when_mode("url"), {:or => [when_auth("token"), when_auth("bearer")]}]}),
        select("endpoints.http.verify_ssl", "Verify TLS certificates", EventStream::VERIFY_PEER, [
                 ["Yes", EventStream::VERIFY_PEER], ["No", EventStream::VERIFY_NONE]
               ], :condition => when_mode("url")),
        {:component => "textarea", :id => "endpoints.http.certificate_authority",
         :name => "endpoints.http.certificate_authority", :label => translate("Trusted CA certificates (PEM)"),
         :helperText => translate("Leave empty to trust the system's CAs"), :condition => when_mode("url")},
        {:component => "textarea", :id => "options.http_events.json", :name => "options.http_events.json",
         :label => translate("JSON source settings"), :isRequired => true, :validate => [{:type => "required"}],
         :helperText => translate('The generic JSON source\'s options as a JSON object, e.g. {"records": "/events", ' \
                                  '"fields": {"id": "/id", "event_type": "/type", "timestamp": "/time"}}'),
         :condition => {:and => [when_mode("url"), {:when => SOURCE, :is => "json"}]}},
        text("endpoints.http.hostname", "Listen address", when_mode("push"), :initialValue => EventStream::DEFAULT_BIND,
             :helperText => translate("The address the event catcher listens on (0.0.0.0: all)")),
        text("endpoints.http.port", "Listen port", when_mode("push"), :type => "number", :initialValue => 8780,
             :isRequired => true, :validate => [{:type => "required"}],
             :helperText => translate("The network and block storage event catchers listen on the next two ports")),
        text("endpoints.http.path", "Path", when_mode("push"), :initialValue => EventStream::DEFAULT_PATH)
      ]
    end

    def select(name, label, initial, options, **extra)
      {:component => "select", :id => name, :name => name, :label => translate(label), :initialValue => initial,
       :options => options.map { |l, v| {:label => translate(l), :value => v} }}.merge(extra)
    end

    def text(name, label, condition, **extra)
      {:component => "text-field", :id => name, :name => name, :label => translate(label),
       :condition => condition}.merge(extra)
    end

    def secret(name, label, condition)
      {:component => "password-field", :id => name, :name => name, :label => translate(label), :type => "password",
       :isRequired => true, :validate => [{:type => "required"}], :condition => condition}
    end

    def when_mode(mode)
      {:when => MODE, :is => mode}
    end

    def when_auth(type)
      {:when => AUTH_TYPE, :is => type}
    end

    def needs_user
      {:or => [when_mode("push"), {:and => [when_mode("url"), when_auth("basic")]}]}
    end

    # ManageIQ's gettext, when loaded.
    def translate(text)
      defined?(::FastGettext) && respond_to?(:_, true) ? _(text) : text
    end

    # The fields array holding `event_stream_selection`, and that field.
    def find_selector(fields)
      fields.each do |field|
        next unless field.is_a?(Hash)
        return [fields, field] if field[:name] == "event_stream_selection" && field[:options].is_a?(Array)

        found = find_selector(field[:fields]) if field[:fields].is_a?(Array)
        return found if found && found[1]
      end
      [nil, nil]
    end
  end
end
