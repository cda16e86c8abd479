# frozen_string_literal: true

# OpenstackHTTPEventMonitor: ManageIQ's OpenStack event monitor plugin that
# polls HTTP event services (OpenStack Panko first) from a Rust core.
#
# The class is defined before anything else so that its superclass is set
# once: ManageIQ's OpenstackEventMonitor when that is already loaded.
class OpenstackHTTPEventMonitor < (defined?(::OpenstackEventMonitor) ? ::OpenstackEventMonitor : Object)
end

require_relative "openstack_http_event_monitor/version"
require_relative "openstack_http_event_monitor/errors"
require_relative "openstack_http_event_monitor/openstack_event"
require_relative "openstack_http_event_monitor/options"
require_relative "openstack_http_event_monitor/logging"
require "openstack_http_event_monitor/openstack_http_event_monitor"
require_relative "openstack_http_event_monitor/monitor"
