# frozen_string_literal: true

require "yaml"

class OpenstackHTTPEventMonitor
  # One cloud of openstacksdk's `clouds.yaml` (`--os-cloud NAME`, `OS_CLOUD`),
  # with `secure.yaml` beside it merged in, as the CLI's options. The file is
  # the first found of `OS_CLIENT_CONFIG_FILE`, `./clouds.yaml`,
  # `$XDG_CONFIG_HOME/openstack/clouds.yaml` (default `~/.config/openstack`)
  # and `/etc/openstack/clouds.yaml`, as openstacksdk looks.
  class CloudsYAML
    # A cloud that cannot be read: no file, not in the file, a bad value.
    class Error < StandardError; end

    # clouds.yaml key path => the CLI's option path.
    KEYS = {
      %w[auth auth_url] => [:auth, :url],
      %w[auth username] => [:auth, :username],
      %w[auth password] => [:auth, :password],
      %w[auth project_name] => [:auth, :project_name],
      %w[auth project_id] => [:auth, :project_id],
      %w[auth user_domain_name] => [:auth, :user_domain_name],
      %w[auth user_domain_id] => [:auth, :user_domain_id],
      %w[auth project_domain_name] => [:auth, :project_domain_name],
      %w[auth project_domain_id] => [:auth, :project_domain_id],
      %w[region_name] => [:auth, :region],
      %w[interface] => [:auth, :interface],
      %w[identity_api_version] => [:auth, :api_version],
      %w[cacert] => [:ca_file]
    }.freeze

    # The `auth_type`s that are Keystone password authentication.
    PASSWORD_AUTH_TYPES = [nil, "password", "v3password", "v2password"].freeze

    # @return [String] the file the cloud was read from
    attr_reader :file

    # @return [String] the cloud's name
    attr_reader :name

    # Reads cloud `name`.
    # @param name [String]
    # @param env [Hash{String => String}] the environment (OS_CLIENT_CONFIG_FILE,
    #   OS_CLIENT_SECURE_FILE, XDG_CONFIG_HOME, HOME)
    # @param dir [String] the current directory
    # @raise [Error] no clouds.yaml, no such cloud in it, or a value that is
    #   not a scalar (never quoting a value)
    def initialize(name, env, dir: Dir.pwd)
      @name = name
      @env = env
      @file = find(dir)
      clouds = clouds_in(@file)
      cloud = clouds[name]
      unless cloud.is_a?(Hash)
        found = clouds.keys.sort
        raise Error, "cloud #{name.inspect} is not in #{@file} (it holds: #{found.empty? ? "no clouds" : found.join(", ")})"
      end

      secure = secure_file
      @cloud = secure ? deep_merge(cloud, clouds_in(secure)[name] || {}) : cloud
      check_auth_type
    end

    # @return [Hash{Array<Symbol> => String}] the cloud's settings as the
    #   CLI's option paths
    def values
      KEYS.each_with_object({}) do |(keys, path), out|
        value = @cloud.dig(*keys)
        next if value.nil? || value.to_s.empty?
        raise Error, "#{@file}: clouds.#{@name}.#{keys.join(".")} must be a single value" if value.is_a?(Hash) || value.is_a?(Array)

        out[path] = value.to_s
      end
    end

    # @return [Boolean] false when the cloud says `verify: false`
    def verify?
      @cloud["verify"] != false && @cloud["verify"].to_s.downcase != "false"
    end

    # The places searched, in order.
    # @param env [Hash{String => String}]
    # @param dir [String]
    # @return [Array<String>]
    def self.search_path(env, dir = Dir.pwd)
      config_home = env["XDG_CONFIG_HOME"].to_s
      if config_home.empty?
        home = env["HOME"].to_s
        config_home = File.join(home.empty? ? Dir.home : home, ".config")
      end
      [File.join(dir, "clouds.yaml"), File.join(config_home, "openstack", "clouds.yaml"), "/etc/openstack/clouds.yaml"]
    end

    private

    def find(dir)
      named = @env["OS_CLIENT_CONFIG_FILE"].to_s
      unless named.empty?
        raise Error, "OS_CLIENT_CONFIG_FILE: #{named} is not a readable file" unless File.file?(named) && File.readable?(named)

        return named
      end

      paths = self.class.search_path(@env, dir)
      paths.find { |path| File.file?(path) } or
        raise Error, "cloud #{@name.inspect}: no clouds.yaml found (looked in #{paths.join(", ")})"
    end

    # openstacksdk's secure.yaml: OS_CLIENT_SECURE_FILE, else beside the clouds.yaml.
    def secure_file
      named = @env["OS_CLIENT_SECURE_FILE"].to_s
      return named if !named.empty? && File.file?(named)

      beside = File.join(File.dirname(@file), "secure.yaml")
      File.file?(beside) ? beside : nil
    end

    def clouds_in(path)
      data = YAML.safe_load(File.read(path), :aliases => true)
      clouds = data.is_a?(Hash) ? data["clouds"] : nil
      raise Error, "#{path}: holds no clouds: mapping" unless clouds.is_a?(Hash)

      clouds.transform_keys(&:to_s)
    rescue SystemCallError, IOError => e
      raise Error, "#{path}: #{e.message}"
    rescue Psych::Exception => e
      raise Error, "#{path}: not valid YAML: #{e.message}"
    end

    def check_auth_type
      type = @cloud["auth_type"]
      return if PASSWORD_AUTH_TYPES.include?(type&.to_s)

      raise Error, "#{@file}: cloud #{@name.inspect} has auth_type #{type.to_s.inspect}; only password is supported"
    end

    def deep_merge(base, over)
      return base unless over.is_a?(Hash)

      base.merge(over) { |_key, mine, theirs| mine.is_a?(Hash) && theirs.is_a?(Hash) ? deep_merge(mine, theirs) : theirs }
    end
  end
end
