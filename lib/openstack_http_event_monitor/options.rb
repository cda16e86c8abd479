# frozen_string_literal: true

require "time"

class OpenstackHTTPEventMonitor
  # Turns ManageIQ's options hash into what the native core parses: string
  # keys, Regexps as `{"source", "ignorecase", …}`, times as ISO 8601 UTC.
  # The core validates the result and names any bad key.
  module Options
    module_function

    # @param options [Hash] ManageIQ's options (`:http`, `:ems`, …)
    # @return [Hash{String => Object}] the `http` options for the core:
    #   derived from `options[:ems]` (see {Provider}), overridden key by key
    #   by `options[:http]`
    def http(options)
      unless options.is_a?(Hash)
        raise ConfigurationError, "options must be a Hash, got #{options.class}"
      end

      explicit = options[:http] || options["http"]
      unless explicit.nil? || explicit.is_a?(Hash)
        raise ConfigurationError, "invalid option http: must be a Hash, got #{explicit.class}"
      end

      derived = Provider.http_options(options)
      if explicit.nil? && derived.nil?
        raise ConfigurationError, "invalid option http: is required (the event service's :url and :auth) unless options[:ems] is given"
      end

      in_rails_data(merge(normalize(derived || {}), normalize(explicit || {})))
    end

    # A push receiver inside a Rails app (ManageIQ) keeps its spool under
    # the app's `data/` folder unless `spool_dir` or `state_dir` says
    # otherwise: the folder ManageIQ keeps across restarts and upgrades.
    def in_rails_data(http)
      source = http["source"]
      return http unless source.is_a?(Hash) && source["type"].to_s == "push"
      return http if source.key?("spool_dir") || source.key?("state_dir")

      root = defined?(::Rails) && ::Rails.respond_to?(:root) ? ::Rails.root : nil
      return http if root.nil?

      http.merge("source" => source.merge("state_dir" => File.join(root.to_s, "data")))
    end

    # Keystone auth keys that name one thing two ways (by id, by name): a
    # Hash giving both is a configuration error; a Hash that refines another
    # replaces the other's choice.
    AUTH_ALTERNATIVES = [%w[user_domain_id user_domain_name], %w[project_domain_id project_domain_name],
                         %w[project_id project_name]].freeze

    # `over` wins key by key; its `auth` refines the derived Keystone auth
    # unless it names another auth type (a domain or project `over` names by
    # id or by name replaces the one `base` named either way).
    def merge(base, over)
      base.merge(over) do |key, mine, theirs|
        keystone = mine.is_a?(Hash) && theirs.is_a?(Hash) && [nil, "keystone", :keystone].include?(theirs["type"])
        key == "auth" && keystone ? without_alternatives(mine, theirs).merge(theirs) : theirs
      end
    end

    # `auth` without the keys whose alternative `over` gives.
    def without_alternatives(auth, over)
      auth.reject do |key, _|
        AUTH_ALTERNATIVES.any? { |group| group.include?(key) && (group - [key]).any? { |other| over.key?(other) } }
      end
    end

    # @return [String, nil] the newest event timestamp ManageIQ stored for
    #   the provider, as ISO 8601 UTC (`ems.ems_events.maximum(:timestamp)`)
    def ems_since(ems)
      return nil unless ems.respond_to?(:ems_events)

      time(ems.ems_events.maximum(:timestamp))
    end

    def normalize(value)
      case value
      when Hash then value.each_with_object({}) { |(k, v), out| out[k.is_a?(Symbol) ? k.to_s : k] = normalize(v) }
      when Array then value.map { |v| normalize(v) }
      when Regexp
        {
          "source"     => value.source,
          "ignorecase" => (value.options & Regexp::IGNORECASE) != 0,
          "multiline"  => (value.options & Regexp::MULTILINE) != 0,
          "extended"   => (value.options & Regexp::EXTENDED) != 0
        }
      when Time, DateTime then time(value)
      # a Pathname (`:state`, `:ca_file`, …) as its path
      when ->(v) { v.respond_to?(:to_path) } then value.to_path
      else value
      end
    end

    # Time, ActiveSupport::TimeWithZone, DateTime or String to ISO 8601 UTC
    # with microseconds.
    def time(value)
      case value
      when nil then nil
      when String then value
      else
        value = value.to_time if value.respond_to?(:to_time) && !value.is_a?(Time)
        value.getutc.iso8601(6)
      end
    end
  end
end
