"""The lab's steps as a checklist (`labtool check`): read from steps/*.toml, checked on the
live nodes through their transports."""
