"""The papers' networks and the code that trains them.

=========================  =====================================================
module                     networks
=========================  =====================================================
``gdln``                   gated deep linear networks, their reduced theory, image routing (Saxe et al.)
``locality_prior``         the locality-prior layer and its cost functions
``locality_nets``          LeNet-LP and AlexNet-LP; ``locality_imagenet`` trains AlexNet-LP on ImageNet
``convnets``               the ConvNet and CIFAR ResNet-18 of Lu et al. (2018)
``ensemble``               many networks of one architecture trained at once
``batched_mlp``            many small MLPs as one batched program (Alleman et al.)
``task_cnns``              the task-structure chapter's CNNs
``resnet_connections``     the five connection types between layers of a ResNet
``pretrained``             torchvision's pretrained weights, found or downloaded
``features``               penultimate-layer features of an ImageNet CNN
=========================  =====================================================
"""
