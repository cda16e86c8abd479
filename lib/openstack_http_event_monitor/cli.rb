# frozen_string_literal: true

require "json"
require "logger"
require "optparse"
require "openstack_http_event_monitor"

class OpenstackHTTPEventMonitor
  # `openstack-http-events`: check an event service, or tail its events as
  # JSON lines. Every flag has an environment fallback; flags win.
  class CLI
    USAGE = <<~TEXT
      Usage: openstack-http-events check|tail [options]

        check   say whether the event service is available (exit status 0 or 1)
        tail    print converted events as JSON lines until Ctrl-C (or --once: drain and exit)

      Give the password in OS_PASSWORD rather than --password: a command line is visible to other users.
    TEXT

    # Flag => [option path, env variable, converter]
    FLAGS = {
      "--url URL"               => [[:url], "OHEM_URL", :string, "event service base URL (before /v2/events)"],
      "--auth-url URL"          => [[:auth, :url], "OS_AUTH_URL", :string, "Keystone URL (with or without /v3): Keystone auth"],
      "--username NAME"         => [[:auth, :username], "OS_USERNAME", :string, "Keystone user"],
      "--password PASSWORD"     => [[:auth, :password], "OS_PASSWORD", :string, "Keystone password (prefer OS_PASSWORD)"],
      "--project NAME"          => [[:auth, :project_name], "OS_PROJECT_NAME", :string, "project scope (default admin)"],
      "--user-domain ID"        => [[:auth, :user_domain_id], "OS_USER_DOMAIN_ID", :string, "user domain id (default \"default\")"],
      "--project-domain ID"     => [[:auth, :project_domain_id], "OS_PROJECT_DOMAIN_ID", :string, "project domain id (default \"default\")"],
      "--region NAME"           => [[:auth, :region], "OS_REGION_NAME", :string, "catalog region"],
      "--interface NAME"        => [[:auth, :interface], "OS_INTERFACE", :string, "catalog interface: public, internal, admin"],
      "--token TOKEN"           => [[:token], "OS_TOKEN", :string, "a ready token instead of Keystone (prefer OS_TOKEN)"],
      "--page-size N"           => [[:page_size], nil, :integer, "rows per request (default 100)"],
      "--poll-interval SECONDS" => [[:poll_interval], nil, :float, "seconds between polls (default 1)"],
      "--backread SECONDS"      => [[:backread_seconds], nil, :float, "back-read window (default 5)"],
      "--type-regex REGEX"      => [[:event_types_regex], nil, :regexp, "only event types matching this Ruby regexp"],
      "--since TIME"            => [[:since], nil, :string, "ISO 8601 start"],
      "--ca-file PATH"          => [[:ca_file], nil, :string, "PEM bundle of trusted CAs"],
      "--open-timeout SECONDS"  => [[:open_timeout], nil, :float, "connect timeout"],
      "--read-timeout SECONDS"  => [[:read_timeout], nil, :float, "read timeout"]
    }.freeze

    # @param argv [Array<String>]
    # @param env [Hash{String => String}]
    def initialize(argv, env = ENV, stdout: $stdout, stderr: $stderr)
      @argv = argv.dup
      @env = env
      @stdout = stdout
      @stderr = stderr
    end

    # Runs the command.
    # @return [Integer] exit status: 0 fine, 1 not available, 2 usage or configuration error
    def run
      command, options, flags = parse
      case command
      when "check" then check(options)
      when "tail" then tail(options, flags)
      else 0 # --help or --version
      end
    rescue OptionParser::ParseError, UsageError => e
      @stderr.puts("openstack-http-events: #{e.message}")
      @stderr.puts("Try --help.")
      2
    rescue ConfigurationError => e
      @stderr.puts("openstack-http-events: #{e.message}")
      2
    end

    class UsageError < StandardError; end

    private

    def parse
      values = {}
      flags = {:once => false, :max_events => nil, :level => Logger::INFO, :all_tenants => nil, :verify_ssl => true}
      parser = OptionParser.new do |o|
        o.banner = USAGE
        FLAGS.each do |flag, (path, env, kind, text)|
          o.on(flag, [text, env && "(env #{env})"].compact.join(" ")) do |v|
            values[path] = convert(flag, kind, v)
            @stderr.puts("warning: a secret on the command line is visible to other users; use #{env}") if %w[OS_PASSWORD OS_TOKEN].include?(env)
          end
        end
        o.on("--[no-]all-tenants", "every project's events (default: when the token has the admin role)") do |v|
          flags[:all_tenants] = v
        end
        o.on("--insecure", "do not verify TLS certificates") { flags[:verify_ssl] = false }
        o.on("--once", "tail: drain the backlog, then exit") { flags[:once] = true }
        o.on("--max-events N", "tail: exit after N events") { |v| flags[:max_events] = convert("--max-events", :integer, v) }
        o.on("-v", "--verbose", "log at debug") { flags[:level] = Logger::DEBUG }
        o.on("-q", "--quiet", "log warnings only") { flags[:level] = Logger::WARN }
        o.on("--version", "print the version") do
          @stdout.puts(VERSION)
          flags[:version] = true
        end
        o.on("-h", "--help", "this help") do
          @stdout.puts(o.help)
          flags[:help] = true
        end
      end
      rest = parser.parse(@argv)
      return [nil, nil, flags] if flags[:help] || flags[:version]

      command = rest.shift
      raise UsageError, "expected a command: check or tail" if command.nil?
      raise UsageError, "unknown command #{command.inspect}: check or tail" unless %w[check tail].include?(command)
      raise UsageError, "unexpected arguments: #{rest.join(" ")}" unless rest.empty?

      [command, build_options(values, flags), flags]
    end

    def convert(flag, kind, value)
      case kind
      when :integer then Integer(value, 10)
      when :float then Float(value)
      when :regexp then Regexp.new(value)
      else value
      end
    rescue ArgumentError, RegexpError => e
      raise UsageError, "#{flag.split.first}: #{e.message}"
    end

    def build_options(values, flags)
      FLAGS.each_value do |path, env, _kind, _text|
        values[path] = @env[env] if env && !values.key?(path) && @env[env] && !@env[env].empty?
      end
      http = {:all_tenants => flags[:all_tenants], :verify_ssl => flags[:verify_ssl]}
      auth = {}
      values.each do |path, value|
        if path.first == :auth
          auth[path.last] = value
        elsif path == [:token]
          http[:auth] = {:type => :token, :token => value}
        else
          http[path.first] = value
        end
      end
      http[:auth] = auth.merge(:type => :keystone) if auth.key?(:url)
      if !auth.empty? && !auth.key?(:url)
        raise UsageError, "Keystone options given without --auth-url (or OS_AUTH_URL)"
      end
      logger = Logger.new(@stderr)
      logger.level = flags[:level]
      logger.formatter = proc { |severity, time, _prog, msg| "#{time.utc.iso8601(3)} #{severity} #{msg}\n" }
      {:http => http, :logger => logger}
    end

    def check(options)
      OpenstackHTTPEventMonitor.verify!(options)
      @stdout.puts("available: #{options[:http][:url] || "event service from the Keystone catalog"}")
      0
    rescue ConfigurationError
      raise
    rescue Error => e
      @stderr.puts("not available: #{e.class.name.split("::").last}: #{e.message}")
      1
    end

    def tail(options, flags)
      monitor = OpenstackHTTPEventMonitor.new(options)
      previous = %w[INT TERM].to_h { |signal| [signal, trap(signal) { monitor.stop }] }
      count = 0
      monitor.start
      monitor.each_batch do |events|
        events.each do |event|
          @stdout.puts(JSON.generate(event.payload))
          count += 1
          break if flags[:max_events] && count >= flags[:max_events]
        end
        @stdout.flush
        monitor.stop if (flags[:max_events] && count >= flags[:max_events]) || (flags[:once] && monitor.caught_up?)
      end
      summary = monitor.stats.slice(:polls, :events, :duplicates_dropped, :filtered, :errors, :cursor)
      @stderr.puts("stopped: #{summary.map { |k, v| "#{k}=#{v}" }.join(" ")}")
      0
    rescue ConfigurationError
      raise
    rescue Error => e
      @stderr.puts("openstack-http-events: #{e.class.name.split("::").last}: #{e.message}")
      1
    ensure
      previous&.each { |signal, handler| trap(signal, handler || "DEFAULT") }
    end
  end
end
