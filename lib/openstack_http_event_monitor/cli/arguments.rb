# frozen_string_literal: true

require "date"
require "json"
require "logger"
require "io/console"
require "optparse"
require "yaml"
require "openstack_http_event_monitor/clouds_yaml"
require "openstack_http_event_monitor/cli/output"

class OpenstackHTTPEventMonitor
  class CLI
    # The command line and the environment read into what the CLI runs:
    # the command, the monitor's options (`:http` and `:logger`) and the
    # CLI's own flags. The table of flags and their environment fallbacks,
    # --config, clouds.yaml (--os-cloud, OS_CLOUD) and the OS_* variables
    # are merged here: flags win, over the environment, over a cloud, over
    # --config.
    class Arguments
      USAGE = <<~TEXT
        Usage: openstack-http-events check|tail|record|listen [options]

          check   say whether the event service is available, and its source, URL and auth type (exit status 0 or 1)
          tail    print converted events until Ctrl-C (or --once: drain and exit): JSON lines, or -f table|value
          record  check and drain the backlog once, writing every HTTP exchange to --cassette FILE
                  (a VCR cassette, secrets redacted), printing no events
          listen  receive the events Ceilometer's http publisher (or a CloudEvents sender) POSTs to
                  --port, printing them as tail does until Ctrl-C (--push-user with OHEM_PUSH_PASSWORD,
                  or --allow-anonymous; --bind 127.0.0.1 to stay on this host)

        tail and listen print like the OpenStack client: -f json (default: one JSON object a line), -f table
        (aligned columns under a header) or -f value (the values separated by spaces); --fields a,b,c chooses the
        fields (table and value default: timestamp,event_type,project,resource; project is the payload's
        project_id or tenant_id, resource its resource_id, instance_id or first other *_id; any other name is a
        key of the event or of its payload). Colour only when stdout is a terminal and NO_COLOR is not set.
        --type and --event-project filter before printing; --max-events counts printed events.

        --config FILE holds the whole :http options hash (YAML or JSON, keys as strings or symbols);
        flags and their environment variables override it key by key.

        --state FILE (tail, record) keeps where polling stands in FILE, written atomically after each batch printed,
      and resumes from it: a restarted tail neither repeats nor skips an event. A state file present wins over
      --since; an absent one is created. A corrupt file, or the state of another URL, source, project or filter, is
      an error (exit status 2): remove the file to start afresh.

      --since takes now, a time that long before now (30s, 15m, 2h, 1d), a date YYYY-MM-DD (midnight UTC)
        or an ISO 8601 timestamp (YYYY-MM-DDTHH:MM:SS[.fraction][Z|+HH:MM]; no zone means UTC).

        --os-cloud NAME (or OS_CLOUD) reads a cloud from openstacksdk's clouds.yaml (OS_CLIENT_CONFIG_FILE, else the
        first of ./clouds.yaml, $XDG_CONFIG_HOME/openstack/clouds.yaml, /etc/openstack/clouds.yaml; secure.yaml beside
        it merged in); flags and OS_* variables override its values. When OS_* variables name a project or a domain
        both by id and by name (as Horizon's openrc files do), the id is used.

        Give the password in OS_PASSWORD rather than --password: a command line is visible to other users. Keystone
        auth without a password asks for it when stdin is a terminal.

        Exit status: 0 fine (tail and listen also when stopped by Ctrl-C or TERM once running: their normal end);
        1 not available or failed; 2 usage or configuration error; 130 interrupted by Ctrl-C (check, record,
        or any command before it was running).
      TEXT

      # The shortest --poll-interval the CLI takes, in seconds.
      MIN_POLL_INTERVAL = 0.1

      # --since's relative units, in seconds.
      SINCE_UNITS = {"s" => 1, "m" => 60, "h" => 3600, "d" => 86_400}.freeze

      # --since's full timestamps: what the core reads (no zone: UTC).
      ISO_TIMESTAMP = /\A(\d{4})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d)|[T ](\d\d):(\d\d):(\d\d)(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?)\z/.freeze

      # OS_INSECURE's values (case-insensitive).
      TRUE_WORDS = %w[true 1 yes].freeze
      FALSE_WORDS = %w[false 0 no].freeze

      # Flag => [option path, env variable, converter]
      FLAGS = {
        "--url URL"               => [[:url], "OHEM_URL", :string, "event service URL: the base before /v2/events (panko, ceilometer), the events URL (json)"],
        "--source NAME"           => [[:source], "OHEM_SOURCE", :source, "event service dialect: panko (default), ceilometer, or json (its mapping in --config)"],
        "--auth-url URL"          => [[:auth, :url], "OS_AUTH_URL", :string, "Keystone URL (with or without /v3): Keystone auth"],
        "--username NAME"         => [[:auth, :username], "OS_USERNAME", :string, "Keystone user"],
        "--password PASSWORD"     => [[:auth, :password], "OS_PASSWORD", :string, "Keystone password (prefer OS_PASSWORD)"],
        "--project NAME"          => [[:auth, :project_name], "OS_PROJECT_NAME", :string, "project scope (default: admin, else the first reachable project other than services)"],
        "--project-id ID"         => [[:auth, :project_id], "OS_PROJECT_ID", :string, "project scope by id, instead of --project"],
        "--user-domain ID"        => [[:auth, :user_domain_id], "OS_USER_DOMAIN_ID", :string, "user domain id (default \"default\")"],
        "--user-domain-name NAME" => [[:auth, :user_domain_name], "OS_USER_DOMAIN_NAME", :string, "user domain by name, instead of --user-domain"],
        "--project-domain ID"     => [[:auth, :project_domain_id], "OS_PROJECT_DOMAIN_ID", :string, "project domain id (default \"default\")"],
        "--project-domain-name NAME" => [[:auth, :project_domain_name], "OS_PROJECT_DOMAIN_NAME", :string, "project domain by name, instead of --project-domain"],
        "--region NAME"           => [[:auth, :region], "OS_REGION_NAME", :string, "catalog region"],
        "--interface NAME"        => [[:auth, :interface], "OS_INTERFACE", :string, "catalog interface: public, internal, admin"],
        "--token TOKEN"           => [[:token], "OS_TOKEN", :string, "a ready token instead of Keystone (prefer OS_TOKEN)"],
        "--page-size N"           => [[:page_size], nil, :integer, "rows per request (default 100)"],
        "--poll-interval SECONDS" => [[:poll_interval], nil, :poll_interval, "seconds between polls (default 1, at least #{MIN_POLL_INTERVAL})"],
        "--backread SECONDS"      => [[:backread_seconds], nil, :float, "back-read window (default 5)"],
        "--type-regex REGEX"      => [[:event_types_regex], nil, :regexp, "only event types matching this Ruby regexp"],
        "--since TIME"            => [[:since], nil, :since, "where to start: now, 15m, 2h, 1d, 30s (that long ago), YYYY-MM-DD or ISO 8601"],
        "--ca-file PATH"          => [[:ca_file], "OS_CACERT", :string, "PEM bundle of trusted CAs, or a server's own (self-signed) certificate"],
        "--open-timeout SECONDS"  => [[:open_timeout], nil, :float, "connect timeout"],
        "--read-timeout SECONDS"  => [[:read_timeout], nil, :float, "read timeout"]
      }.freeze

      # Option paths that name one thing two ways (by id, by name), id first.
      ALTERNATIVES = Options::AUTH_ALTERNATIVES.map { |group| group.map { |key| [:auth, key.to_sym] } }.freeze

      COMMANDS = %w[check tail record listen].freeze
      SOURCES = %w[panko ceilometer json].freeze

      # tail's and listen's output flags, as usage errors name them.
      FLAG_NAMES = {:format => "-f/--format", :fields => "--fields", :types => "--type", :event_project => "--event-project",
                    :progress => "--progress"}.freeze
      private_constant :FLAG_NAMES

      # @param argv [Array<String>]
      # @param env [Hash{String => String}] the environment read (never ENV
      #   unless given)
      # @param stdout [IO] where --help and --version print
      # @param stderr [IO] where warnings (a secret on the command line) and
      #   the password prompt go
      # @param stdin [IO] where a password is asked for, when it is a terminal
      def initialize(argv, env, stdout:, stderr:, stdin:)
        @argv = argv.dup
        @env = env
        @stdout = stdout
        @stderr = stderr
        @stdin = stdin
      end

      # Parses the command line.
      # @return [Array] the command (nil after --help or --version), the
      #   options for {OpenstackHTTPEventMonitor.new} and the flags
      # @raise [UsageError, OptionParser::ParseError]
      def parse
        values = {}
        warnings = []
        flags = {:once => false, :max_events => nil, :level => Logger::INFO, :all_tenants => nil, :verify_ssl => nil,
                 :retries => DEFAULT_RETRIES}
        parser = OptionParser.new do |o|
          o.banner = USAGE
          FLAGS.each do |flag, (path, env, kind, text)|
            o.on(flag, [text, env && "(env #{env})"].compact.join(" ")) do |v|
              values[path] = convert(flag, kind, v)
              warnings << "warning: a secret on the command line is visible to other users; use #{env}" if %w[OS_PASSWORD OS_TOKEN].include?(env)
            end
          end
          o.on("--[no-]all-tenants", "every project's events (default: when the token has the admin role)") do |v|
            flags[:all_tenants] = v
          end
          o.on("--[no-]insecure", "do not verify TLS certificates (env OS_INSECURE: true, 1 or yes)") { |v| flags[:verify_ssl] = !v }
          o.on("--config FILE", "YAML or JSON file holding the :http options hash") { |v| flags[:config] = v }
          o.on("--os-cloud NAME", "the cloud of clouds.yaml to use (env OS_CLOUD)") { |v| flags[:cloud] = v }
          o.on("--cassette FILE", "record: the VCR cassette to write") { |v| flags[:cassette] = v }
          o.on("--once", "tail: drain the backlog, then exit") { flags[:once] = true }
          o.on("--state FILE", "tail, record: keep where polling stands in FILE (written after each batch) and " \
                               "resume from it: no event repeated or skipped across restarts") { |v| flags[:state] = v }
          o.on("--retries N", "check, record, tail --once: give up after N failed attempts in a row (default " \
                              "#{DEFAULT_RETRIES}); a running tail retries until stopped") do |v|
            flags[:retries] = convert("--retries", :integer, v)
            raise UsageError, "--retries: must be at least 1, got #{v}" if flags[:retries] < 1
          end
          o.on("--port N", "listen: the port to receive events on (default 8780)") { |v| flags[:port] = convert("--port", :integer, v) }
          o.on("--bind ADDRESS", "listen: the address to listen on (default 0.0.0.0)") { |v| flags[:bind] = v }
          o.on("--spool DIR", "listen: where received events wait (default under $XDG_STATE_HOME)") { |v| flags[:spool] = v }
          o.on("--push-user NAME", "listen: the HTTP Basic user senders give; password in OHEM_PUSH_PASSWORD") { |v| flags[:push_user] = v }
          o.on("--allow-anonymous", "listen: take events from anyone who reaches the port") { flags[:allow_anonymous] = true }
          o.on("--max-events N", "tail, listen: exit after printing N events (0: none)") do |v|
            flags[:max_events] = convert("--max-events", :count, v)
          end
          o.on("-f", "--format FORMAT", "tail, listen: json (default), table or value") { |v| flags[:format] = v }
          o.on("--fields A,B,C", "tail, listen: the fields to print (default for table and value: " \
                                 "#{Output::DEFAULT_FIELDS.join(",")}; json: the whole event)") do |v|
            flags[:fields] = v.split(",").map(&:strip).reject(&:empty?)
          end
          o.on("--type TYPE", "tail, listen: only this event type (exact; repeat for any of several)") do |v|
            (flags[:types] ||= []) << v
          end
          o.on("--event-project ID", "tail, listen: only events whose payload project_id or tenant_id is ID " \
                                     "(--project is the login's scope)") { |v| flags[:event_project] = v }
          o.on("--progress SECONDS", "tail, listen: a status line on stderr every SECONDS (events/s, polls, " \
                                     "retries, filtered, duplicates_dropped)") do |v|
            flags[:progress] = convert("--progress", :poll_interval, v)
          end
          o.on("-v", "--verbose", "log at debug") { flags[:level] = Logger::DEBUG }
          o.on("-q", "--quiet", "log errors only, and no summary line") { flags[:level] = Logger::ERROR }
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
        warnings.each { |w| @stderr.puts(w) } unless flags[:level] >= Logger::ERROR
        return [nil, nil, flags] if flags[:help] || flags[:version]

        command = rest.shift
        raise UsageError, "expected a command: #{COMMANDS.join(", ")}" if command.nil?
        raise UsageError, "unknown command #{command.inspect}: #{COMMANDS.join(", ")}" unless COMMANDS.include?(command)
        raise UsageError, "unexpected arguments: #{rest.join(" ")}" unless rest.empty?
        raise UsageError, "record needs --cassette FILE" if command == "record" && !flags[:cassette]
        raise UsageError, "--cassette is for record" if flags[:cassette] && command != "record"
        raise UsageError, "--state is for tail and record" if flags[:state] && !%w[tail record].include?(command)
        listen_flags = %i[port bind spool push_user allow_anonymous].select { |f| flags.key?(f) }
        raise UsageError, "#{listen_flags.map { |f| "--#{f.to_s.tr("_", "-")}" }.join(", ")}: only for listen" if !listen_flags.empty? && command != "listen"

        output_flags = %i[format fields types event_project progress].select { |f| flags.key?(f) }
        unless output_flags.empty? || %w[tail listen].include?(command)
          raise UsageError, "#{output_flags.map { |f| FLAG_NAMES.fetch(f) }.join(", ")}: only for tail and listen"
        end
        flags[:output] = output(flags)
        flags[:command] = command

        [command, build_options(values, flags), flags]
      end

      private

      # The Output -f/--format and --fields ask for, coloured when stdout is
      # a terminal and NO_COLOR is not set.
      def output(flags)
        if flags.key?(:fields) && flags[:fields].empty?
          raise UsageError, "--fields: needs at least one field name (a,b,c)"
        end

        color = @stdout.respond_to?(:tty?) && @stdout.tty? && @env["NO_COLOR"].to_s.empty?
        Output.new(:format => flags.fetch(:format, "json"), :fields => flags[:fields], :color => color)
      rescue ArgumentError => e
        raise UsageError, "-f/--format: #{e.message}"
      end

      def convert(flag, kind, value)
        case kind
        when :integer then Integer(value, 10)
        when :count
          Integer(value, 10).tap { |n| raise ArgumentError, "must be 0 or more, got #{n}" if n.negative? }
        when :float then Float(value)
        when :poll_interval
          Float(value).tap do |f|
            raise ArgumentError, "must be at least #{MIN_POLL_INTERVAL} seconds, got #{value}" unless f >= MIN_POLL_INTERVAL
          end
        when :since then since(value)
        when :regexp then Regexp.new(value)
        when :source
          raise ArgumentError, "#{value.inspect} is not one of #{SOURCES.join(", ")}" unless SOURCES.include?(value)

          value
        else value
        end
      rescue ArgumentError, RegexpError => e
        raise UsageError, "#{flag.split.first}: #{e.message}"
      end

      # --since as the core's :since: `now` and `15m`/`2h`/`1d`/`30s` (that
      # long before now) and a date (midnight UTC) become an ISO 8601 UTC
      # timestamp with microseconds; a full ISO 8601 timestamp is checked and
      # passed as is.
      def since(value)
        case value
        when "now" then utc_timestamp(Time.now)
        when /\A(\d+)([smhd])\z/
          seconds = Integer(Regexp.last_match(1), 10) * SINCE_UNITS.fetch(Regexp.last_match(2))
          time = Time.now - seconds
          raise ArgumentError, "#{value.inspect} reaches back before year 1" if time.year < 1

          utc_timestamp(time)
        when /\A(\d{4})-(\d\d)-(\d\d)\z/
          raise ArgumentError, "#{value.inspect} is not a date" unless valid_date?(Regexp.last_match)

          "#{value}T00:00:00.000000Z"
        when ISO_TIMESTAMP
          match = Regexp.last_match
          hour, minute, second = (match[4] ? [match[4], match[5], "0"] : [match[6], match[7], match[8]]).map(&:to_i)
          unless valid_date?(match) && hour <= 23 && minute <= 59 && second <= 59
            raise ArgumentError, "#{value.inspect} is not a valid time"
          end

          value
        else
          raise ArgumentError, "#{value.inspect} is none of now, 30s/15m/2h/1d, YYYY-MM-DD or an ISO 8601 timestamp"
        end
      end

      def valid_date?(match)
        Date.valid_date?(match[1].to_i, match[2].to_i, match[3].to_i)
      end

      def utc_timestamp(time)
        time.utc.strftime("%Y-%m-%dT%H:%M:%S.%6NZ")
      end

      # OS_INSECURE: true, 1 or yes (any case) is --insecure (true); false, 0
      # or no is false; unset or empty nil; anything else a usage error.
      def insecure_from_env
        value = @env["OS_INSECURE"].to_s.strip.downcase
        return true if TRUE_WORDS.include?(value)
        return nil if value.empty?
        return false if FALSE_WORDS.include?(value)

        raise UsageError, "OS_INSECURE: #{@env["OS_INSECURE"].inspect} is none of #{(TRUE_WORDS + FALSE_WORDS).join(", ")}"
      end

      def build_options(flags_given, flags)
        config = flags[:config] ? load_config(flags[:config]) : {}
        config_auth = config["auth"].is_a?(Hash) ? config["auth"] : nil
        # the OS_* Keystone variables (and a cloud) refine a Keystone auth, never another type the file chose
        env_auth = config_auth.nil? || %w[keystone].include?(config_auth["type"].to_s)
        one_way!(flags_given)
        cloud = cloud(flags)
        cloud_values = cloud ? prefer_ids(usable(cloud.values, config, env_auth)) : {}
        values = layered([cloud_values, prefer_ids(env_values(config, env_auth, flags_given)), flags_given])
        json_source!(values, config)
        config = config.merge("source" => push_source(config["source"], flags)) if flags[:command] == "listen"
        if flags[:verify_ssl].nil?
          insecure = insecure_from_env
          flags[:verify_ssl] = false if insecure || (insecure.nil? && cloud && !cloud.verify?)
        end
        http = {}
        http[:all_tenants] = flags[:all_tenants] unless flags[:all_tenants].nil?
        http[:verify_ssl] = flags[:verify_ssl] unless flags[:verify_ssl].nil?
        http[:record] = flags[:cassette] if flags[:cassette]
        http[:state] = flags[:state] if flags[:state]
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
        if !auth.empty? && !http.key?(:auth)
          unless auth.key?(:url) || config_auth&.key?("url")
            raise UsageError, "Keystone options given without --auth-url (or OS_AUTH_URL, or --os-cloud)"
          end

          http[:auth] = auth.merge(:type => :keystone)
        end
        http = Options.merge(config, Options.normalize(http))
        ask_password!(http) unless flags[:command] == "listen"
        logger = Logger.new(@stderr)
        logger.level = flags[:level]
        # the time the core wrote a record, not the time Ruby logged it
        logger.formatter = proc do |severity, time, _prog, msg|
          at = msg.respond_to?(:at) && msg.at ? msg.at : time
          "#{at.utc.iso8601(3)} #{severity} #{msg}\n"
        end
        {:http => http, :logger => logger}
      end

      # The OS_* variables' values, by option path (--source checked), but
      # for the options `given` as flags.
      def env_values(config, env_auth, given)
        values = FLAGS.each_value.with_object({}) do |(path, env, kind, _text), out|
          next unless env && !given.key?(path) && @env[env] && !@env[env].empty?

          out[path] = kind == :source ? convert("--source", :source, @env[env]) : @env[env]
        end
        usable(values, config, env_auth)
      end

      # `values` without what --config keeps: its non-Keystone auth, its PEM CAs.
      def usable(values, config, env_auth)
        values.reject do |path, _|
          ((path.first == :auth || path == [:token]) && !env_auth) ||
            # a file that chose its trusted CAs as PEM text keeps them (both would conflict)
            (path == [:ca_file] && config.key?("ca_pem"))
        end
      end

      # --os-cloud NAME or OS_CLOUD: the cloud, or nil.
      def cloud(flags)
        name = flags[:cloud] || @env["OS_CLOUD"]
        return nil if name.nil? || name.empty?

        CloudsYAML.new(name, @env)
      rescue CloudsYAML::Error => e
        raise UsageError, "#{flags[:cloud] ? "--os-cloud" : "OS_CLOUD"}: #{e.message}"
      end

      # Levels of values, lowest first: a higher one wins key by key, and a
      # project or domain it names by id or by name replaces the lower one's.
      def layered(levels)
        levels.each_with_object({}) do |level, out|
          level.each do |path, value|
            ALTERNATIVES.each { |group| (group - [path]).each { |other| out.delete(other) } if group.include?(path) }
            out[path] = value
          end
        end
      end

      # One level naming a project or domain both by id and by name (Horizon's
      # openrc files set OS_PROJECT_ID and OS_PROJECT_NAME): the id, as
      # keystoneauth does.
      def prefer_ids(values)
        ALTERNATIVES.each_with_object(values.dup) do |(id, name), out|
          out.delete(name) if out.key?(id)
        end
      end

      # Flags naming a project or domain both by id and by name: a usage error.
      def one_way!(values)
        ALTERNATIVES.each do |group|
          next unless group.all? { |path| values.key?(path) }

          names = group.map { |path| FLAGS.find { |_flag, (p)| p == path }.first.split.first }
          raise UsageError, "#{names.join(" and ")} name the same thing: give one of them"
        end
      end

      # Keystone auth without a password: asked for, without echo, when stdin
      # is a terminal; else left missing (the core names http.auth.password).
      def ask_password!(http)
        auth = http["auth"]
        return unless auth.is_a?(Hash) && auth["type"].to_s == "keystone"
        return unless auth["password"].nil? || auth["password"].to_s.empty?
        return unless @stdin.respond_to?(:tty?) && @stdin.tty?

        @stderr.print("Password for #{auth["username"].to_s.inspect} at #{auth["url"]}: ")
        @stderr.flush
        password = @stdin.noecho(&:gets)
        @stderr.puts
        password = password&.chomp
        http["auth"] = auth.merge("password" => password) unless password.nil? || password.empty?
      end

      # `--source json` names the source --config describes: the file must hold
      # `source: {type: json, …}` (records, fields, paging are too many for flags).
      def json_source!(values, config)
        return unless values[[:source]] == "json"

        source = config["source"]
        unless source.is_a?(Hash) && source["type"].to_s == "json"
          raise UsageError, "--source json needs --config FILE holding source: {type: json, records: …, fields: …} " \
                            "(see README, Generic JSON source)"
        end

        values.delete([:source])
      end

      # `listen`: the push source, from --config's push source (if any) and
      # the flags, which win.
      def push_source(configured, flags)
        source = configured.is_a?(Hash) && configured["type"].to_s == "push" ? configured.dup : {"type" => "push"}
        if flags.key?(:port) || flags.key?(:bind)
          source["listen"] = "#{flags.fetch(:bind, "0.0.0.0")}:#{flags.fetch(:port, 8780)}"
        end
        source["spool_dir"] = flags[:spool] if flags[:spool]
        source["allow_anonymous"] = true if flags[:allow_anonymous]
        if flags[:push_user]
          password = @env["OHEM_PUSH_PASSWORD"]
          raise UsageError, "--push-user needs the password in OHEM_PUSH_PASSWORD" if password.nil? || password.empty?

          source["users"] = {flags[:push_user] => password}
        end
        source
      end

      # The :http hash in a YAML or JSON file, with string keys; a file holding
      # {"http" => {...}} is read as its :http part.
      def load_config(path)
        text = File.read(path)
        data = if File.extname(path).casecmp?(".json")
                 JSON.parse(text)
               else
                 YAML.safe_load(text, :permitted_classes => [Symbol], :aliases => false)
               end
        data = Options.normalize(data)
        data = data["http"] if data.is_a?(Hash) && data.keys == ["http"]
        raise UsageError, "--config #{path}: must hold a Hash of the :http options, got #{data.class}" unless data.is_a?(Hash)

        data
      rescue SystemCallError, IOError => e
        raise UsageError, "--config #{path}: #{e.message}"
      rescue JSON::ParserError, Psych::Exception => e
        raise UsageError, "--config #{path}: not valid #{File.extname(path).casecmp?(".json") ? "JSON" : "YAML"}: #{e.message}"
      end
    end
  end
end
