# frozen_string_literal: true

# A minimal stand-in for ManageIQ's OpenstackEventMonitor, written for this
# project's specs from the contract ManageIQ's event catcher relies on (not
# ManageIQ's code): a plugin base whose `new` returns the selected plugin's
# instance, cached per provider; a plugin that is not `available?` is
# replaced by the null monitor; `subclasses` ordered by `plugin_priority`.
# Like ManageIQ's file it opens the class without a superclass, so it can
# reopen a class defined earlier.
class OpenstackEventMonitor
  DEFAULT_PLUGIN_PRIORITY = 0

  class << self
    def new(options = {})
      equal?(OpenstackEventMonitor) ? event_monitor(options) : super
    end

    def plugin_priority
      DEFAULT_PLUGIN_PRIORITY
    end

    def available?(options)
      event_monitor_class(options).available?(options)
    end

    def subclasses
      super.sort_by(&:plugin_priority).reverse
    end

    def event_monitor_selected_class(options)
      case options[:events_monitor]
      when :ceilometer then OpenstackCeilometerEventMonitor
      else OpenstackNullEventMonitor
      end
    end

    def event_monitor_class(options)
      class_cache[cache_key(options)] ||= begin
        selected = event_monitor_selected_class(options)
        available = begin
          selected.available?(options)
        rescue StandardError
          false
        end
        available ? selected : OpenstackNullEventMonitor
      end
    end

    def event_monitor(options)
      instance_cache[cache_key(options)] ||= event_monitor_class(options).new(options)
    end

    def clear_caches
      class_cache.clear
      instance_cache.clear
    end

    private

    def class_cache
      @class_cache ||= {}
    end

    def instance_cache
      @instance_cache ||= {}
    end

    def cache_key(options)
      options.values_at(:events_monitor, :hostname, :port, :username, :password)
    end
  end

  def initialize(_options = {})
    raise NotImplementedError, "Cannot instantiate OpenstackEventMonitor directly."
  end

  def each
    each_batch { |events| events.each { |e| yield e } }
  end
end

class OpenstackNullEventMonitor < OpenstackEventMonitor
  def self.available?(_options)
    false
  end

  def self.plugin_priority
    -1
  end

  def initialize(options = {})
    @options = options
  end

  def start; end

  def stop; end

  def each_batch; end
end

# Stands for the fog-based Panko monitor: available, priority 1.
class OpenstackCeilometerEventMonitor < OpenstackEventMonitor
  def self.available?(_options)
    true
  end

  def self.plugin_priority
    1
  end

  def initialize(options = {})
    @options = options
  end
end

# ManageIQ's event value object, same shape.
class OpenstackEvent
  attr_reader :payload, :metadata

  def initialize(payload, metadata)
    @payload = payload
    @metadata = metadata
  end
end

# The exception classes ManageIQ callers rescue.
module MiqException
  class Error < RuntimeError; end
  class MiqInvalidCredentialsError < Error; end
  class MiqHostError < Error; end
  class ServiceNotAvailable < Error; end
end
