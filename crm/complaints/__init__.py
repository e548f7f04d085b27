"""Complaints (客户投诉处理记录表, 模板3): a module of the crm app with its own models, services and pages."""
